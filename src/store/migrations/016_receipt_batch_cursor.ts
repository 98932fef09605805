import type { Migration } from '../migration.js';

/**
 * Receipt batches found by a cursor (issue 15 item 6, docs/settlement.md "Storage"):
 *
 * - `receipts` gets `seq INTEGER PRIMARY KEY AUTOINCREMENT`: the order receipts are batched in,
 *   stable (a rowid may change on VACUUM; an AUTOINCREMENT key is never reused, even after a
 *   deleted row). The table is rebuilt to add it; existing receipts are numbered in the order
 *   the flush took them (settled_at, id).
 * - A batch stores the seq range it covers (`first_seq`, `last_seq`) and its leaves as one blob
 *   (32 bytes per leaf, in seq order). A flush no longer writes each receipt nor a leaf row: a
 *   batch's receipts are those of its range whose legacy `batch_id` is NULL.
 * - Batches flushed before this migration keep their per-receipt `batch_id` … `tx_sig` and their
 *   `receipt_batch_leaves` rows, and are read as before.
 */
export const receiptBatchCursor: Migration = {
  version: 16,
  name: 'receipt batches by seq range, leaves as one blob',
  sql: `
    CREATE TABLE receipts_by_seq (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      payer TEXT NOT NULL,
      resource TEXT NOT NULL CHECK (resource IN ('compute', 'memory', 'tool', 'message')),
      status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
      credits_consumed INTEGER NOT NULL CHECK (credits_consumed >= 0),
      settled_at INTEGER NOT NULL,
      intent_id TEXT,
      memory_record_id TEXT,
      failure_reason TEXT,
      tokens_used INTEGER CHECK (tokens_used IS NULL OR tokens_used >= 0),
      batch_id TEXT,
      merkle_root TEXT,
      chain TEXT,
      tx_sig TEXT
    );
    INSERT INTO receipts_by_seq (id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id,
        failure_reason, tokens_used, batch_id, merkle_root, chain, tx_sig)
      SELECT id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id,
        failure_reason, tokens_used, batch_id, merkle_root, chain, tx_sig
      FROM receipts ORDER BY settled_at, id;
    DROP TABLE receipts;
    ALTER TABLE receipts_by_seq RENAME TO receipts;
    CREATE INDEX receipts_payer ON receipts(payer, settled_at);
    CREATE INDEX receipts_settled ON receipts(settled_at);
    CREATE INDEX receipts_intent ON receipts(intent_id);
    CREATE INDEX receipts_memory ON receipts(memory_record_id);
    CREATE INDEX receipts_batch ON receipts(batch_id) WHERE batch_id IS NOT NULL;

    ALTER TABLE receipt_batches ADD COLUMN first_seq INTEGER;
    ALTER TABLE receipt_batches ADD COLUMN last_seq INTEGER;
    ALTER TABLE receipt_batches ADD COLUMN leaves BLOB;
    CREATE UNIQUE INDEX receipt_batches_last_seq ON receipt_batches(last_seq) WHERE last_seq IS NOT NULL;
  `,
};
