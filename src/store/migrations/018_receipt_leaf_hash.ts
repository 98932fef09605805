import type { Migration } from '../migration.js';

/**
 * Receipts carry their leaf hash (issue 15 item 6, docs/settlement.md "Storage"): the SHA-256 of
 * the receipt's canonical leaf, computed by the insert from the values it writes. A receipt is
 * never updated, so the flush reads the stored hashes instead of re-encoding and re-hashing every
 * row. NULL on every receipt written before this (no backfill): the flush encodes those from
 * their row as before. 32 bytes or NULL, nothing else.
 */
export const receiptLeafHashColumn: Migration = {
  version: 18,
  name: 'the leaf hash of each receipt, stored when it is inserted',
  sql: `
    ALTER TABLE receipts ADD COLUMN leaf_hash BLOB CHECK (leaf_hash IS NULL OR (typeof(leaf_hash) = 'blob' AND length(leaf_hash) = 32));
  `,
};
