import { accessSync, constants, existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { CovenantError } from '../core/index.js';
import { ensurePrivateDir } from './permissions.js';

/** A start-up write refused by the filesystem, as a clear refusal; null for any other error. */
export function homeWriteError(error: unknown, home: string): CovenantError | null {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'EROFS') {
    return new CovenantError(
      'E_HOME_NOT_WRITABLE',
      `${home} is on a read-only filesystem; covenantd keeps its database, log and socket there: remount it read-write or start covenantd with --home on a writable disk`,
    );
  }
  if (code === 'EACCES' || code === 'EPERM') {
    return new CovenantError(
      'E_HOME_NOT_WRITABLE',
      `${home} is not writable by this user (uid ${process.getuid?.() ?? '?'}); give it back to this user (chown) or start covenantd with --home on a directory it owns`,
    );
  }
  return null;
}

/** Refuses a home covenantd cannot write, before anything else is tried there. */
export function assertHomeWritable(home: string): void {
  try {
    accessSync(home, constants.W_OK);
  } catch (error) {
    throw homeWriteError(error, home) ?? error;
  }
}

/** Creates the home (0700) or checks it, and checks covenantd can write there. */
export function prepareHome(home: string): void {
  try {
    ensurePrivateDir(home);
  } catch (error) {
    // A recursive mkdir on a read-only filesystem can report ENOENT: ask the nearest existing parent.
    throw homeWriteError(error, home) ?? homeWriteError(writeAccessError(nearestExisting(home)), home) ?? error;
  }
  assertHomeWritable(home);
}

function writeAccessError(path: string): unknown {
  try {
    accessSync(path, constants.W_OK);
    return null;
  } catch (error) {
    return error;
  }
}

function nearestExisting(path: string): string {
  let current = path;
  while (!existsSync(current) && dirname(current) !== current) current = dirname(current);
  return current;
}
