import { basename } from 'node:path';
import type { HomePaths } from '../home/index.js';

/** What every caller is told about an internal error: the log's name, never its absolute path. */
export function internalErrorMessage(paths: Pick<HomePaths, 'daemonLog'>): string {
  return `internal error; details are in ${basename(paths.daemonLog)} in the logs/ directory of the daemon's home`;
}
