/**
 * Settlement receipts (SPEC 12 and 15): one row per paid event, written in the same SQLite
 * transaction as the event, and never written again (so its leaf hash, `leaf_hash`, migration
 * 018, is computed once, here). A receipt's `batch_id`, `merkle_root`,
 * `chain` and `tx_sig` are those of the batch whose seq range holds it (RECEIPT_VIEW_SELECT);
 * the columns of those names are set only on receipts batched before migration 16.
 */
import type { ReceiptResource, ReceiptStatus } from '../protocol/index.js';
import { statement, type Db } from '../store/index.js';
import { storedLeafHash } from './proof.js';

/** Compute credits: 1 per started 1000 ms of wall time, minimum 1. */
export const MS_PER_CREDIT = 1000;

export function computeCredits(wallMs: number): number {
  const ms = Number.isFinite(wallMs) && wallMs > 0 ? wallMs : 0;
  return Math.max(1, Math.ceil(ms / MS_PER_CREDIT));
}

export interface Receipt {
  id: string;
  /** Pubkey (base58) of whoever pays: the caller of the intent. */
  payer: string;
  resource: ReceiptResource;
  status: ReceiptStatus;
  credits_consumed: number;
  settled_at: number;
  intent_id: string | null;
  memory_record_id: string | null;
  /** Why the paid event failed (the runner's reason code, e.g. `timeout`); null when ok. */
  failure_reason: string | null;
  /** Tokens of the model calls it paid for (migration 013); null when it paid for none. */
  tokens_used: number | null;
  batch_id: string | null;
  merkle_root: string | null;
  chain: string | null;
  tx_sig: string | null;
}

export type NewReceipt = Omit<Receipt, 'batch_id' | 'merkle_root' | 'chain' | 'tx_sig' | 'tokens_used'> & { tokens_used?: number | null };

/**
 * A receipt with its batch fields: its own (batched before migration 16) or those of the batch
 * whose seq range holds it (the first batch ending at or after its seq).
 */
export const RECEIPT_VIEW_SELECT = `SELECT r.seq, r.id, r.payer, r.resource, r.status, r.credits_consumed, r.settled_at, r.intent_id,
    r.memory_record_id, r.failure_reason, r.tokens_used,
    COALESCE(r.batch_id, b.batch_id) AS batch_id, COALESCE(r.merkle_root, b.merkle_root) AS merkle_root,
    COALESCE(r.chain, b.chain) AS chain, COALESCE(r.tx_sig, b.tx_sig) AS tx_sig
  FROM receipts r
  LEFT JOIN receipt_batches b ON r.batch_id IS NULL
    AND b.seq = (SELECT seq FROM receipt_batches WHERE last_seq >= r.seq ORDER BY last_seq LIMIT 1)
    AND b.first_seq <= r.seq`;

export class Receipts {
  constructor(private readonly db: Db) {}

  /** Inserts an unbatched receipt; call it inside the transaction of the event it pays for. */
  insert(receipt: NewReceipt): Receipt {
    statement(
      this.db,
      `INSERT INTO receipts (id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id,
         failure_reason, tokens_used, leaf_hash, batch_id, merkle_root, chain, tx_sig)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)`,
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
        storedLeafHash(receipt),
      );
    return { ...receipt, tokens_used: receipt.tokens_used ?? null, batch_id: null, merkle_root: null, chain: null, tx_sig: null };
  }

  get(id: string): Receipt | null {
    return (this.db.prepare(`${RECEIPT_VIEW_SELECT} WHERE r.id = ?`).get(id) as Receipt | undefined) ?? null;
  }

  forIntent(intentId: string): Receipt[] {
    return this.db.prepare(`${RECEIPT_VIEW_SELECT} WHERE r.intent_id = ? ORDER BY r.settled_at, r.id`).all(intentId) as Receipt[];
  }
}
