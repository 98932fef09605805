import Database from 'better-sqlite3';
import { CovenantError } from '../core/index.js';
import type { Migration } from './migration.js';
import { MIGRATIONS } from './migrations/index.js';

export type Db = Database.Database;

/** The page cache of the daemon's connection, in KiB (see openDatabase). */
const PAGE_CACHE_KIB = 2000;

/**
 * Opens covenant.db in WAL mode with full fsync: an acknowledged write survives a crash.
 * `temp_store = MEMORY` keeps the savepoint journal (the undo of each request's savepoint inside
 * a group commit) in memory: on disk it spilled to a temp file past 64 KiB, a write of every
 * page a request touched (docs/performance.md, "Group commit"). It holds nothing a crash needs:
 * recovery is the WAL's. Temporary tables and sorts of this connection live in memory too.
 *
 * `cache_size` is SQLite's own default, 2,000 KiB of page cache: better-sqlite3 builds SQLite
 * with 16 MiB, which the daemon's RSS kept filling over its first ~10,000 intents (the pages of
 * the audit chain it appends to) before it was flat (docs/performance.md, "Idle"). The pages
 * the daemon reads again are the few at the end of its append-only tables and indexes; a page
 * outside the cache is a read of the OS page cache.
 */
export function openDatabase(path: string): Db {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  db.pragma('temp_store = MEMORY');
  db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
  return db;
}

/**
 * A read-only second connection to a database `openDatabase` opened (WAL: it reads the last
 * committed snapshot and never blocks the writer). Memory search's BM25 worker uses one.
 */
export function openReader(path: string): Db {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  db.pragma('busy_timeout = 5000');
  return db;
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function latestSchemaVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/** Applies pending migrations, each in its own transaction, recording each one applied. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS, now = Date.now()): number {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const current = schemaVersion(db);
  const latest = latestSchemaVersion(migrations);
  if (current > latest) {
    throw new CovenantError(
      'E_HOME_UNSAFE',
      `covenant.db has schema version ${current}, newer than this covenantd understands (${latest}); upgrade covenant`,
    );
  }
  for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
    if (migration.version <= current) continue;
    db.transaction(() => {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        now,
      );
      db.pragma(`user_version = ${migration.version}`);
    })();
  }
  return schemaVersion(db);
}
