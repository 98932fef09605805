import { closeSync, fsyncSync, lstatSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fsyncDir } from '../home/index.js';

/** The steps of replacing the operator token file; tests kill the process at each one. */
export type TokenFileStep = 'tmp_created' | 'tmp_synced' | 'committed' | 'renamed';
export type StepHook = (step: TokenFileStep) => void;

/**
 * Replaces `path` with `token` so that a SIGKILL at any point leaves either the old file or the
 * new one, and the database never disagrees for longer than the start-up reconciliation:
 * 1. `<path>.tmp-<pid>` written and fsynced (0600);
 * 2. `commit()`: the one database transaction that makes the new token live (and the old one
 *    revoked) — the instant the switch happens;
 * 3. rename over `path`, then fsync the directory.
 * A crash before 2 leaves a temporary file whose token is unknown (deleted at start); a crash
 * between 2 and 3 leaves one whose token is live (renamed into place at start).
 */
export function replaceTokenFile<T>(path: string, token: string, commit: () => T, onStep?: StepHook): T {
  const temporary = `${path}.tmp-${process.pid}`;
  const fd = openSync(temporary, 'w', 0o600);
  try {
    onStep?.('tmp_created');
    writeSync(fd, Buffer.from(`${token}\n`));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  onStep?.('tmp_synced');
  let result: T;
  try {
    result = commit();
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
  onStep?.('committed');
  renameSync(temporary, path);
  onStep?.('renamed');
  fsyncDir(dirname(path));
  return result;
}

/**
 * Leftover temporary copies of `path` (`<name>.tmp-<pid>`), each with the token it holds; one
 * that is not a regular file (a planted symlink) is removed unread.
 */
export function leftoverTokenFiles(path: string): Array<{ file: string; token: string }> {
  const prefix = `${basename(path)}.tmp-`;
  const dir = dirname(path);
  const found: Array<{ file: string; token: string }> = [];
  for (const name of readdirSync(dir)) {
    if (!name.startsWith(prefix)) continue;
    const file = join(dir, name);
    if (lstatSync(file).isFile()) found.push({ file, token: readFileSync(file, 'utf8').trim() });
    else unlinkSync(file);
  }
  return found;
}

/** Moves a leftover temporary file into place (atomically) and makes the rename durable. */
export function promoteTokenFile(file: string, path: string): void {
  renameSync(file, path);
  fsyncDir(dirname(path));
}
