import type { Db } from './database.js';
import { statement } from './statements.js';

export function readState(db: Db, key: string): string | null {
  const row = statement(db, 'SELECT value FROM daemon_state WHERE key = ?').get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function writeState(db: Db, key: string, value: string, now: number): void {
  statement(db, 'INSERT INTO daemon_state (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at').run(key, value, now);
}
