import { canonicalJson, CovenantError, newId, sha256Hex } from '../../core/index.js';
import { Receipts } from '../../settlement/index.js';
import type { HandlerGroup } from './handler.js';

export const toolHandlers: HandlerGroup<'tools_list' | 'tools_call'> = {
  tools_list: (_params, _scope, ctx) => ({
    kind: 'tool_list',
    tools: ctx.tools.list().map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema, server: t.server })),
  }),

  tools_call: async (params, { caller }, ctx) => {
    // Raw arguments never reach the audit log: only their hash.
    const argumentsHash = sha256Hex(canonicalJson(params.arguments));
    // SPEC 15: the call's `tool` receipt (payer = the caller; 1 credit when the tool ran, 0 when it
    // was refused before running) is written in the same transaction as its audit row.
    const record = (outcome: string) =>
      ctx.db.transaction(() => {
        const receiptId = newId();
        const ran = outcome !== 'invalid_arguments' && outcome !== 'unknown_tool';
        new Receipts(ctx.db).insert({
          id: receiptId,
          payer: caller.agentId.pubkey,
          resource: 'tool',
          status: outcome === 'ok' ? 'ok' : 'failed',
          credits_consumed: ran ? 1 : 0,
          settled_at: ctx.clock.now(),
          intent_id: null,
          memory_record_id: null,
          failure_reason: outcome === 'ok' ? null : outcome,
        });
        ctx.audit.append(caller.agentId, { kind: 'tool_call_completed', payload: {
          tool: params.name,
          outcome,
          arguments_hash_hex: argumentsHash,
          receipt_id: receiptId,
        } });
      })();
    try {
      const output = await ctx.tools.call(params.name, params.arguments);
      record(output.is_error ? 'tool_error' : 'ok');
      return { kind: 'tool_result', name: params.name, content: output.content, is_error: output.is_error };
    } catch (error) {
      const code = error instanceof CovenantError ? error.code : 'E_INTERNAL';
      record(code === 'E_BAD_REQUEST' ? 'invalid_arguments' : code === 'E_NOT_FOUND' ? 'unknown_tool' : 'failed');
      if (error instanceof CovenantError) throw new CovenantError(error.code, error.message, { audited: true, cause: error });
      throw error;
    }
  },
};
