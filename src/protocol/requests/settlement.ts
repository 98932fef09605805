import { z } from 'zod';
import { ReceiptProofSchema, ReceiptViewSchema } from '../receipts.js';
import { RECEIPT_RESOURCES, RECEIPT_STATUSES } from '../constants.js';
import { defineRequest } from '../request-definition.js';

// Settlement receipts and chain gates (SPEC 15, docs/settlement.md).

export const ReceiptBatchSchema = z.strictObject({
  batch_id: z.string(),
  merkle_root: z.string(),
  receipt_count: z.number().int(),
  created_at: z.number().int(),
  signature: z.string(),
  tx_sig: z.string().nullable(),
  chain: z.string(),
});

export const receiptsRecent = defineRequest({
  kind: 'receipts_recent',
  summary: 'Recent settlement receipts, newest first, filtered before the limit. Callers see the receipts they pay; the operator sees all.',
  params: z.object({
    limit: z.number().int().min(1).max(1000).optional(),
    since_ms: z.number().int().min(0).optional(),
    resource: z.enum(RECEIPT_RESOURCES).optional(),
    status: z.enum(RECEIPT_STATUSES).optional(),
    intent_id: z.string().min(1).max(200).optional(),
  }),
  response: z.strictObject({
    kind: z.literal('receipt_list'),
    limit: z.number().int(),
    filters: z.strictObject({
      since_ms: z.number().int().nullable(),
      resource: z.string().nullable(),
      status: z.string().nullable(),
      intent_id: z.string().nullable(),
    }),
    receipts: z.array(ReceiptViewSchema),
  }),
  authorize: () => ({ action: 'chain.receipts' }),
  http: { method: 'GET', path: '/receipts/recent' },
  mutates: false,
});

export const chainStatus = defineRequest({
  kind: 'chain_status',
  summary: 'The chain backend, whether it is ready (and what is missing), unbatched receipts and the last batch.',
  params: z.object({}),
  response: z.strictObject({
    kind: z.literal('chain_status'),
    status: z.strictObject({
      backend: z.string(),
      ready: z.boolean(),
      missing: z.array(z.string()),
      pending_receipts: z.number().int(),
      last_batch: ReceiptBatchSchema.nullable(),
    }),
  }),
  authorize: () => ({ action: 'chain.receipts' }),
  http: { method: 'GET', path: '/chain/status' },
  mutates: false,
});

export const chainFlush = defineRequest({
  kind: 'chain_flush',
  summary: 'Batch the oldest unbatched receipts (up to limit, default 10000) into a signed Merkle batch on the chain backend. Operator only, needs chain.flush.',
  params: z.object({ limit: z.number().int().min(1).max(10_000).optional() }),
  response: z.strictObject({
    kind: z.literal('receipt_batch_flushed'),
    receipts_updated: z.number().int(),
    batch: z.strictObject({
      batch_id: z.string(),
      merkle_root: z.string(),
      receipt_count: z.number().int(),
      signature: z.string(),
      tx_sig: z.string().nullable(),
    }),
  }),
  authorize: () => ({ action: 'chain.flush', operatorOnly: true }),
  http: { method: 'POST', path: '/chain/flush' },
  mutates: true,
});

export const chainBatches = defineRequest({
  kind: 'chain_batches',
  summary: 'Flushed receipt batches, newest first.',
  params: z.object({ limit: z.number().int().min(1).max(1000).optional() }),
  response: z.strictObject({ kind: z.literal('receipt_batch_list'), limit: z.number().int(), batches: z.array(ReceiptBatchSchema) }),
  authorize: () => ({ action: 'chain.batches' }),
  http: { method: 'GET', path: '/chain/batches' },
  mutates: false,
});

export const receiptsProve = defineRequest({
  kind: 'receipts_prove',
  summary: 'A Merkle inclusion proof of one of your batched receipts, checkable offline with `covenant receipts verify-proof`.',
  params: z.object({ receipt_id: z.string().min(1).max(200) }),
  response: z.strictObject({ kind: z.literal('receipt_proof'), proof: ReceiptProofSchema }),
  authorize: () => ({ action: 'chain.receipts' }),
  http: { method: 'GET', path: '/receipts/prove' },
  mutates: false,
});
