import { CovenantError } from '../core/index.js';

const FULL_CODES = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

/** Whether an error says the disk (or the user's quota) is full: SQLite's SQLITE_FULL or ENOSPC/EDQUOT. */
export function isStorageFull(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && FULL_CODES.has(code);
}

/** The refusal for a write that found the disk full; null when `error` is something else. */
export function asStorageFull(error: unknown): CovenantError | null {
  if (!isStorageFull(error)) return null;
  return new CovenantError(
    'E_STORAGE_FULL',
    'the disk holding $COVENANT_HOME is full, so this request could not be recorded and was not acknowledged; free space there (old logs/covenantd.log.N can go), then retry; reads keep working meanwhile',
  );
}
