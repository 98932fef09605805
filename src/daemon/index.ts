export { startDaemon, type DaemonOptions, type RunningDaemon } from './daemon.js';
