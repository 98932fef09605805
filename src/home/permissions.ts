import { closeSync, fsyncSync, lstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { CovenantError } from '../core/index.js';

/** Creates a directory with mode 0700, or checks an existing one is private and not a link. */
export function ensurePrivateDir(path: string): void {
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const stat = lstatSync(path);
  if (stat.isSymbolicLink() || !stat.isDirectory()) {
    throw new CovenantError('E_HOME_UNSAFE', `${path} must be a real directory, not a symlink; move it aside and start covenantd again`);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new CovenantError(
      'E_HOME_UNSAFE',
      `${path} is readable by other users (mode ${(stat.mode & 0o777).toString(8)}); run \`chmod 700 ${path}\` and start covenantd again`,
    );
  }
}

/** Refuses a secret file that is a symlink or that group or others may read. */
export function assertPrivateFile(path: string): void {
  const stat = lstatSync(path);
  if (stat.isSymbolicLink()) {
    throw new CovenantError('E_HOME_UNSAFE', `${path} is a symlink; replace it with the real file (mode 0600) and start covenantd again`);
  }
  if (!stat.isFile()) {
    throw new CovenantError('E_HOME_UNSAFE', `${path} is not a regular file; remove it and start covenantd again`);
  }
  if ((stat.mode & 0o077) !== 0) {
    throw new CovenantError(
      'E_HOME_UNSAFE',
      `${path} has loose permissions (mode ${(stat.mode & 0o777).toString(8)}); run \`chmod 600 ${path}\` and start covenantd again`,
    );
  }
}

/** Writes a 0600 file atomically (temporary file, fsync, rename); a failed write leaves no temporary file. */
export function writePrivateFile(path: string, data: string | Uint8Array): void {
  const temporary = `${path}.tmp-${process.pid}`;
  try {
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, typeof data === 'string' ? Buffer.from(data) : data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, path);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
}

/** Makes a rename or a new file in `dir` durable (fsync of the directory). */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
