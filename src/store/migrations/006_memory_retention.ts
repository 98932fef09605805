import type { Migration } from '../migration.js';

/**
 * Memory retention (SPEC 3, docs/memory.md):
 *
 * - `memory_tombstones`: one row per memory record deleted by `memory purge` or by the retention
 *   policy, naming the receipt that paid for it. This is how a purged record's receipt is
 *   *marked*: the receipt row itself is never changed (receipts are settlement records whose
 *   canonical form is hashed into signed Merkle batches), and a receipt whose
 *   `memory_record_id` (or whose id, via `receipt_id`) is named by a tombstone is accounted for,
 *   not orphaned. Tombstones hold ids, owner, tier and times, never text.
 * - `memory_index_epoch`: a counter that triggers bump whenever a memory record is deleted or its
 *   id, owner, tier or embedding changes, so the daemon's in-memory search index notices changes
 *   made by any code path and rebuilds what it holds.
 */
export const memoryRetention: Migration = {
  version: 6,
  name: 'memory tombstones and search-index epoch',
  sql: `
    CREATE TABLE memory_tombstones (
      record_id TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      tier TEXT NOT NULL CHECK (tier IN ('working', 'episodic', 'longterm')),
      receipt_id TEXT,
      created_at INTEGER NOT NULL,
      deleted_at INTEGER NOT NULL,
      cause TEXT NOT NULL CHECK (cause IN ('purge', 'retention'))
    );
    CREATE INDEX memory_tombstones_receipt ON memory_tombstones(receipt_id);
    CREATE INDEX memory_tombstones_deleted ON memory_tombstones(deleted_at);

    CREATE TABLE memory_index_epoch (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      epoch INTEGER NOT NULL
    );
    INSERT INTO memory_index_epoch (id, epoch) VALUES (1, 0);

    CREATE TRIGGER memory_records_epoch_delete AFTER DELETE ON memory_records
    BEGIN
      UPDATE memory_index_epoch SET epoch = epoch + 1 WHERE id = 1;
    END;
    CREATE TRIGGER memory_records_epoch_update AFTER UPDATE OF id, owner, tier, embedding ON memory_records
    BEGIN
      UPDATE memory_index_epoch SET epoch = epoch + 1 WHERE id = 1;
    END;
  `,
};
