/** Receipts as covenantd wrote them before migration 018 (no `leaf_hash`), for migration tests on older schemas. */
import type { NewReceipt } from '../../src/settlement/index.js';
import type { Db } from '../../src/store/index.js';

export function insertReceiptBefore018(db: Db, receipt: NewReceipt): void {
  db.prepare(
    `INSERT INTO receipts (id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id, failure_reason, tokens_used)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  ).run(
    receipt.id,
    receipt.payer,
    receipt.resource,
    receipt.status,
    receipt.credits_consumed,
    receipt.settled_at,
    receipt.intent_id,
    receipt.memory_record_id,
    receipt.failure_reason,
    receipt.tokens_used ?? null,
  );
}
