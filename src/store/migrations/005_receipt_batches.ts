import type { Migration } from '../migration.js';

/**
 * Receipt batches (SPEC 15, docs/settlement.md): one row per flushed batch (its Merkle root,
 * the daemon's ed25519 signature over {batch_id, merkle_root, receipt_count, created_at}, the
 * chain backend and its transaction signature), and the ordered leaves of each batch so an
 * inclusion proof can be rebuilt without re-deriving the order.
 */
export const receiptBatches: Migration = {
  version: 5,
  name: 'receipt batches and their Merkle leaves',
  sql: `
    CREATE TABLE receipt_batches (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      batch_id TEXT NOT NULL UNIQUE,
      merkle_root TEXT NOT NULL,
      receipt_count INTEGER NOT NULL CHECK (receipt_count > 0),
      created_at INTEGER NOT NULL,
      signature TEXT NOT NULL,
      signer TEXT NOT NULL,
      chain TEXT NOT NULL,
      tx_sig TEXT
    );
    CREATE INDEX receipt_batches_created ON receipt_batches(created_at);

    CREATE TABLE receipt_batch_leaves (
      batch_id TEXT NOT NULL,
      leaf_index INTEGER NOT NULL CHECK (leaf_index >= 0),
      receipt_id TEXT NOT NULL UNIQUE,
      leaf_hash TEXT NOT NULL,
      PRIMARY KEY (batch_id, leaf_index)
    ) WITHOUT ROWID;
    CREATE INDEX receipts_unbatched ON receipts(settled_at, id) WHERE batch_id IS NULL;
  `,
};
