import { canonicalJson, CovenantError, newId, sha256Hex, type ErrorCode } from '../../core/index.js';
import { Receipts } from '../../settlement/index.js';
import { transact } from '../../store/index.js';
import type { HandlerGroup } from './handler.js';
import { toolListReply } from './tool-list.js';

/** The `outcome` of a tool_call_completed row for a call that threw. */
const FAILURE_OUTCOMES: Partial<Record<ErrorCode, string>> = {
  E_BAD_REQUEST: 'invalid_arguments',
  E_NOT_FOUND: 'unknown_tool',
  E_TOOL_TIMEOUT: 'timeout',
  E_TOOL_SERVER_CRASHED: 'server_crashed',
  E_TOOL_SERVER_UNAVAILABLE: 'server_unavailable',
  E_SHUTTING_DOWN: 'cancelled',
};
/** Outcomes of calls that never reached a tool: their receipt consumes nothing. */
const NOT_RUN = new Set(['invalid_arguments', 'unknown_tool', 'server_unavailable']);

export const toolHandlers: HandlerGroup<'tools_list' | 'tools_call' | 'tools_servers' | 'tools_restart'> = {
  tools_list: (_params, _scope, ctx) => toolListReply(ctx.tools),

  tools_call: async (params, { caller, signal }, ctx) => {
    // Raw arguments never reach the audit log: only their hash.
    const argumentsHash = sha256Hex(canonicalJson(params.arguments));
    const started = ctx.clock.now();
    let server: string | null = null;
    // SPEC 15: the call's `tool` receipt (payer = the caller; 1 credit when the tool ran, 0 when it
    // was refused before running) is written in the same transaction as its audit row.
    const record = (outcome: string) =>
      transact(ctx.db, () => {
        const receiptId = newId();
        new Receipts(ctx.db).insert({
          id: receiptId,
          payer: caller.agentId.pubkey,
          resource: 'tool',
          status: outcome === 'ok' ? 'ok' : 'failed',
          credits_consumed: NOT_RUN.has(outcome) ? 0 : 1,
          settled_at: ctx.clock.now(),
          intent_id: null,
          memory_record_id: null,
          failure_reason: outcome === 'ok' ? null : outcome,
        });
        ctx.audit.append(caller.agentId, { kind: 'tool_call_completed', payload: {
          tool: params.name,
          server,
          outcome,
          arguments_hash_hex: argumentsHash,
          duration_ms: Math.max(0, ctx.clock.now() - started),
          receipt_id: receiptId,
        } });
      });
    try {
      server = ctx.tools.get(params.name).server;
      const output = await ctx.tools.call(params.name, params.arguments, signal);
      record(output.is_error ? 'tool_error' : 'ok');
      return {
        kind: 'tool_result',
        name: params.name,
        content: output.content,
        ...(output.structured_content === undefined ? {} : { structured_content: output.structured_content }),
        is_error: output.is_error,
      };
    } catch (error) {
      const code = error instanceof CovenantError ? error.code : 'E_INTERNAL';
      record(FAILURE_OUTCOMES[code] ?? 'failed');
      if (error instanceof CovenantError) throw new CovenantError(error.code, error.message, { audited: true, cause: error });
      throw error;
    }
  },

  tools_servers: (_params, _scope, ctx) => ({ kind: 'tool_servers', servers: ctx.mcp.servers() }),

  tools_restart: async (params, { caller }, ctx) => {
    try {
      const server = await ctx.mcp.restart(params.server);
      ctx.audit.append(caller.agentId, { kind: 'tool_server_restarted', payload: { server: server.name, state: server.state, last_error: server.last_error } });
      return { kind: 'tool_server_restarted', server };
    } catch (error) {
      if (!(error instanceof CovenantError)) throw error;
      // The name is the caller's input: token-shaped runs are cut, as in every refusal row.
      ctx.audit.append(caller.agentId, { kind: 'tool_server_restart_refused', payload: { server: params.server, code: error.code } });
      throw new CovenantError(error.code, error.message, { audited: true });
    }
  },
};
