export { startDaemon, type DaemonOptions, type RunningDaemon } from './daemon.js';
export type { DaemonContext } from './context.js';
export type { Caller } from './caller.js';
