import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../src/store/index.js';
import { tempDir } from './temp-home.js';

export interface SnapshotRow {
  seq: number;
  kind: string;
  payload: Record<string, unknown>;
}

/**
 * What a SIGKILL of the daemon now would leave on disk: its database and WAL copied and opened
 * elsewhere (only committed transactions are read back). Returns the audit rows, oldest first.
 */
export function auditRowsAfterCrash(dbPath: string): SnapshotRow[] {
  const { dir, cleanup } = tempDir('covenant-crash-');
  try {
    copyFileSync(dbPath, join(dir, 'covenant.db'));
    if (existsSync(`${dbPath}-wal`)) copyFileSync(`${dbPath}-wal`, join(dir, 'covenant.db-wal'));
    const db = openDatabase(join(dir, 'covenant.db'));
    try {
      const rows = db.prepare('SELECT seq, kind, payload FROM audit_events ORDER BY seq').all() as Array<{ seq: number; kind: string; payload: string }>;
      return rows.map((row) => ({ seq: row.seq, kind: row.kind, payload: JSON.parse(row.payload) as Record<string, unknown> }));
    } finally {
      db.close();
    }
  } finally {
    cleanup();
  }
}
