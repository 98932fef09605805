import type { HandlerTable } from './handler.js';
import { auditHandlers } from './audit.js';
import { daemonHandlers } from './daemon.js';
import { intentHandlers } from './intent.js';

export const HANDLERS: HandlerTable = {
  ...daemonHandlers,
  ...intentHandlers,
  ...auditHandlers,
};

export type { Handler, HandlerTable } from './handler.js';
