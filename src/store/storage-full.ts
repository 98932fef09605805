import { statfsSync } from 'node:fs';
import type { CovenantError } from '../core/index.js';
import { storageFull } from './storage-reserve.js';

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/** Whether an error says the disk (or the user's quota) is full: SQLite's SQLITE_FULL or ENOSPC/EDQUOT. */
export function isStorageFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FULL_CODES.has(code);
}

/** The refusal for a write that found the disk full; null when `error` is something else. */
export function asStorageFull(error: unknown): CovenantError | null {
  return isStorageFull(error) ? storageFull() : null;
}

/**
 * Whether a failure under `dir` comes from a full disk: SQLITE_FULL/ENOSPC/EDQUOT, or an I/O
 * error of SQLite's (it reports a WAL or shared-memory file it cannot grow as SQLITE_IOERR_*)
 * while the filesystem has next to nothing left.
 */
export function failedOnFullDisk(error: unknown, dir: string): boolean {
  if (isStorageFull(error)) return true;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('SQLITE_IOERR')) return false;
  try {
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize < 64 * 1024;
  } catch {
    return false;
  }
}
