/** Receipts as the wire shows them, and the inclusion proof `receipts prove` hands out (SPEC 15). */
import { z } from 'zod';

export const ReceiptViewSchema = z.strictObject({
  id: z.string(),
  payer: z.string(),
  resource: z.string(),
  status: z.string(),
  credits_consumed: z.number(),
  settled_at: z.number(),
  intent_id: z.string().nullable(),
  memory_record_id: z.string().nullable(),
  failure_reason: z.string().nullable(),
  /** Tokens of the model calls the receipt paid for; null when it paid for none. */
  tokens_used: z.number().int().nullable(),
  batch_id: z.string().nullable(),
  merkle_root: z.string().nullable(),
  chain: z.string().nullable(),
  tx_sig: z.string().nullable(),
});
export type ReceiptView = z.infer<typeof ReceiptViewSchema>;

export const ProofSiblingSchema = z.strictObject({ hash: z.string(), side: z.enum(['left', 'right']) });

export const ReceiptProofSchema = z.strictObject({
  // The receipt as stored; extra fields are kept (and then break the leaf hash, as they should).
  receipt: z.looseObject({ id: z.string() }),
  leaf_hash: z.string(),
  index: z.number().int(),
  siblings: z.array(ProofSiblingSchema),
  merkle_root: z.string(),
  batch: z.strictObject({
    batch_id: z.string(),
    receipt_count: z.number().int(),
    created_at: z.number().int(),
    signature: z.string(),
  }),
  daemon_pubkey: z.string(),
});
export type ReceiptProof = z.infer<typeof ReceiptProofSchema>;
