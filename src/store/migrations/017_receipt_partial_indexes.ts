import type { Migration } from '../migration.js';

/**
 * Receipts' `intent_id` and `memory_record_id` indexes hold only the receipts that have one
 * (issue 15 item 5, docs/performance.md "Group commit"). A tool call's receipt has neither, and
 * each of these indexes cost its INSERT a B-tree write of a NULL key that no query reads: every
 * query on them asks for a value (`intent_id = ?`, `memory_record_id IN (…)`), which SQLite
 * answers from a partial index `WHERE … IS NOT NULL`. Same names, same columns.
 */
export const receiptPartialIndexes: Migration = {
  version: 17,
  name: 'receipt intent and memory indexes only where the column is set',
  sql: `
    DROP INDEX receipts_intent;
    CREATE INDEX receipts_intent ON receipts(intent_id) WHERE intent_id IS NOT NULL;
    DROP INDEX receipts_memory;
    CREATE INDEX receipts_memory ON receipts(memory_record_id) WHERE memory_record_id IS NOT NULL;
  `,
};
