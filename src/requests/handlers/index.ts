import type { HandlerTable } from './handler.js';
import { auditHandlers } from './audit.js';
import { capabilityHandlers } from './capabilities.js';
import { daemonHandlers } from './daemon.js';
import { intentHandlers } from './intent.js';
import { agentHandlers } from './agents.js';
import { doctorHandlers } from './doctor.js';
import { peerHandlers } from './peers.js';
import { toolHandlers } from './tools.js';
import { policyHandlers } from './policy.js';
import { budgetHandlers } from './budget.js';
import { intentsHandlers } from './intents.js';
import { memoryHandlers } from './memory.js';
import { settlementHandlers } from './settlement.js';
import { verifierHandlers } from './verifier.js';
import { a2aHandlers } from './a2a.js';
import { consoleHandlers } from './console.js';
import { remoteHandlers } from './remotes.js';

export const HANDLERS: HandlerTable = {
  ...daemonHandlers,
  ...intentHandlers,
  ...agentHandlers,
  ...doctorHandlers,
  ...auditHandlers,
  ...capabilityHandlers,
  ...peerHandlers,
  ...toolHandlers,
  ...policyHandlers,
  ...budgetHandlers,
  ...intentsHandlers,
  ...memoryHandlers,
  ...settlementHandlers,
  ...verifierHandlers,
  ...a2aHandlers,
  ...consoleHandlers,
  ...remoteHandlers,
};

export type { Handler, HandlerTable } from './handler.js';
