/** The daemon's connection settings (src/store/database.ts, openDatabase). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { openDatabase } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-open-database-');
after(cleanup);

test('the daemon connection: WAL, full fsync, savepoint journal in memory, SQLite’s own 2,000 KiB page cache (not better-sqlite3’s 16 MiB)', () => {
  const db = openDatabase(join(dir, 'covenant.db'));
  try {
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 2);
    assert.equal(db.pragma('temp_store', { simple: true }), 2);
    assert.equal(db.pragma('cache_size', { simple: true }), -2000);
  } finally {
    db.close();
  }
});
