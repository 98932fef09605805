/**
 * The operator console (SPEC 19, docs/console.md): login codes and console sessions, the
 * page's static files, and the coverage matrix it shows. The gateway serves them.
 */
export { CODE_TTL_MS, SESSION_IDLE_MS, TOUCH_INTERVAL_MS, ConsoleSessions } from './sessions.js';
export type { CodeRefusal, ConsoleSessionDeps, Exchange, SessionLookup, SessionRefusal } from './sessions.js';
export { readCoverageFile } from './coverage.js';
export { consoleAsset, type ConsoleAsset } from './assets.js';
