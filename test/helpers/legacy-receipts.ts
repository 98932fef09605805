/** Receipts as covenantd wrote them before migration 018 (no `leaf_hash`), for migration tests on older schemas. */
import type { NewReceipt } from '../../src/settlement/index.js';
import type { Db } from '../../src/store/index.js';

const COLUMNS = ['id', 'payer', 'resource', 'status', 'credits_consumed', 'settled_at', 'intent_id', 'memory_record_id', 'failure_reason', 'tokens_used'];

export function insertReceiptBefore018(db: Db, receipt: NewReceipt): void {
  db.prepare(`INSERT INTO receipts (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`).run({ ...receipt, tokens_used: receipt.tokens_used ?? null });
}
