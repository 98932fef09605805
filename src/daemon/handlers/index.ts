import type { HandlerTable } from './handler.js';
import { auditHandlers } from './audit.js';
import { capabilityHandlers } from './capabilities.js';
import { daemonHandlers } from './daemon.js';
import { intentHandlers } from './intent.js';
import { peerHandlers } from './peers.js';

export const HANDLERS: HandlerTable = {
  ...daemonHandlers,
  ...intentHandlers,
  ...auditHandlers,
  ...capabilityHandlers,
  ...peerHandlers,
};

export type { Handler, HandlerTable } from './handler.js';
