/**
 * Settlement receipts (SPEC 12 and 15): one row per paid event, written in the same SQLite
 * transaction as the event. `batch_id`, `merkle_root`, `chain` and `tx_sig` stay NULL until the
 * receipt is batched (`covenant chain flush-receipts`).
 */
import type { ReceiptResource, ReceiptStatus } from '../protocol/index.js';
import { statement, type Db } from '../store/index.js';

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
  batch_id: string | null;
  merkle_root: string | null;
  chain: string | null;
  tx_sig: string | null;
}

export type NewReceipt = Omit<Receipt, 'batch_id' | 'merkle_root' | 'chain' | 'tx_sig'>;

export class Receipts {
  constructor(private readonly db: Db) {}

  /** Inserts an unbatched receipt; call it inside the transaction of the event it pays for. */
  insert(receipt: NewReceipt): Receipt {
    statement(
      this.db,
      `INSERT INTO receipts (id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id,
         failure_reason, batch_id, merkle_root, chain, tx_sig)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, NULL)`,
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
      );
    return { ...receipt, batch_id: null, merkle_root: null, chain: null, tx_sig: null };
  }

  get(id: string): Receipt | null {
    return (this.db.prepare('SELECT * FROM receipts WHERE id = ?').get(id) as Receipt | undefined) ?? null;
  }

  forIntent(intentId: string): Receipt[] {
    return this.db.prepare('SELECT * FROM receipts WHERE intent_id = ? ORDER BY settled_at, id').all(intentId) as Receipt[];
  }
}
