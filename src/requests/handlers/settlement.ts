import { DEFAULT_BATCH_LIST, DEFAULT_RECENT_RECEIPTS, MAX_FLUSH_RECEIPTS } from '../../settlement/index.js';
import type { HandlerGroup } from './handler.js';
import { visibleOwner } from '../caller.js';
import { receiptId, receiptIntentId } from '../id-prefixes.js';

/** Settlement receipts and chain gates (SPEC 15): the work is in src/settlement (SettlementService). */
export const settlementHandlers: HandlerGroup<'receipts_recent' | 'receipts_prove' | 'chain_status' | 'chain_flush' | 'chain_batches'> = {
  receipts_recent: (params, { caller }, ctx) => {
    const limit = params.limit ?? DEFAULT_RECENT_RECEIPTS;
    const filters = {
      since_ms: params.since_ms ?? null,
      resource: params.resource ?? null,
      status: params.status ?? null,
      intent_id: params.intent_id === undefined ? null : receiptIntentId(ctx, caller, params.intent_id),
    };
    const receipts = ctx.settlement.recent({
      limit,
      sinceMs: filters.since_ms,
      resource: filters.resource,
      status: filters.status,
      intentId: filters.intent_id,
      // Callers see the receipts they pay; the operator sees every receipt.
      visibleTo: visibleOwner(caller),
    });
    return { kind: 'receipt_list', limit, filters, receipts };
  },

  receipts_prove: (params, { caller }, ctx) => ({
    kind: 'receipt_proof',
    proof: ctx.settlement.prove(receiptId(ctx, caller, params.receipt_id), visibleOwner(caller)),
  }),

  chain_status: async (_params, _scope, ctx) => ({ kind: 'chain_status', status: await ctx.settlement.status() }),

  chain_flush: async (params, { caller }, ctx) => {
    const result = await ctx.settlement.flush(caller.agentId, params.limit ?? MAX_FLUSH_RECEIPTS);
    const { batch_id, merkle_root, receipt_count, signature, tx_sig } = result.batch;
    return { kind: 'receipt_batch_flushed', receipts_updated: result.receipts_updated, batch: { batch_id, merkle_root, receipt_count, signature, tx_sig } };
  },

  chain_batches: (params, _scope, ctx) => {
    const limit = params.limit ?? DEFAULT_BATCH_LIST;
    return { kind: 'receipt_batch_list', limit, batches: ctx.settlement.batches(limit) };
  },
};
