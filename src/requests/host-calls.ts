/**
 * Host calls (SPEC 12 "Host calls"): what an agent with `[agent] host_calls = true` may ask the
 * daemon for over its stdio while it serves an intent. Each call is
 *
 * - declared: its capability action must be listed in the agent's `[capabilities]` (required or
 *   optional; `x.*` covers `x.y`), else E_CAPABILITY_MISSING naming the manifest line to add;
 * - held: checked as the intent's caller, like the caller's own request (`memory.search`,
 *   `memory.write`, `tools.call` and `a2a.send` run as the caller's `memory_search` /
 *   `memory_write` / `tools_call` / `a2a_send` requests, through the same path as the socket;
 *   `model.*` through the authorizer with the `model.chat` / `model.embed` actions);
 * - audited: one `agent_host_call {agent, intent_id, call, outcome}` row per call, whatever
 *   happened (`outcome` = `ok` or the error code);
 * - metered: a model call needs 1 credit left in the agent's budget beyond what running intents
 *   reserved (else E_BUDGET_EXHAUSTED, audited), and writes, in one transaction, a `compute`
 *   receipt for the intent (paid by the caller, credits by wall time, `tokens_used`), the debit
 *   of those credits from the agent's bucket (`model_call` ledger row) and its audit row naming
 *   the receipt and the tokens. The session sums the tokens for the run's own receipt.
 *
 * Bounds (64 calls per intent, 16 MiB per line, malformed lines) are the supervisor's.
 */
import { z } from 'zod';
import { resolveRecipient } from '../a2a/index.js';
import { CovenantError, newId } from '../core/index.js';
import type { HostCallOpener, MeteredHostCalls } from '../intent/index.js';
import { ChatMessageSchema } from '../model/index.js';
import { a2aSend } from '../protocol/index.js';
import type { HostCall, HostCallError, HostCallOutcome, InstalledAgent } from '../runtime/index.js';
import { computeCredits, Receipts } from '../settlement/index.js';
import { transact } from '../store/index.js';
import type { Caller } from './caller.js';
import type { DaemonContext } from './context.js';
import { executeRequest } from './execute-request.js';
import { redactedRefusal } from './refusal.js';

const MAX_EMBED_INPUTS = 64;

const ChatParams = z.strictObject({
  messages: z.array(ChatMessageSchema).min(1).max(64),
  max_tokens: z.number().int().positive().optional(),
});
const EmbedParams = z.strictObject({
  input: z.union([z.string().max(1024 * 1024), z.array(z.string().max(1024 * 1024)).min(1).max(MAX_EMBED_INPUTS)]),
});
/** Passed on as the caller's request of that kind (which validates the rest). */
const Forwarded = z.record(z.string(), z.unknown());
const ToolParams = z.looseObject({ name: z.string().min(1).max(256) });
/** `a2a_send` without `sender`: the sender is always the intent's caller, never the agent's choice. */
const A2aSendParams = z.strictObject(a2aSend.params.omit({ sender: true }).shape);

interface CallSpec {
  /** The capability action the manifest must list (and the caller must hold). */
  action(params: Record<string, unknown>, ctx: DaemonContext): string;
  params: z.ZodType<Record<string, unknown>>;
}

const CALLS: Record<string, CallSpec> = {
  'model.chat': { action: () => 'model.chat', params: ChatParams },
  'model.embed': { action: () => 'model.embed', params: EmbedParams },
  'memory.search': { action: (p) => (typeof p.tier === 'string' ? `memory.read.${p.tier}` : 'memory.read'), params: Forwarded },
  'memory.write': { action: () => 'memory.write', params: Forwarded },
  'tools.call': { action: (p) => `tool.call.${String(p.name)}`, params: ToolParams },
  'a2a.send': { action: (p, ctx) => `a2a.send.${recipientDisplay(ctx, String(p.recipient))}`, params: A2aSendParams },
};
const REQUEST_KIND: Record<string, string> = { 'memory.search': 'memory_search', 'memory.write': 'memory_write', 'tools.call': 'tools_call', 'a2a.send': 'a2a_send' };

/**
 * The recipient as the grant names it (`bob@peer` however the agent spelled it), so the manifest
 * check matches the caller's. A name that does not resolve stays as given: the forwarded request
 * refuses it with its own audited refusal.
 */
function recipientDisplay(ctx: DaemonContext, name: string): string {
  try {
    return resolveRecipient({ peers: ctx.peerQueries, agents: ctx.runtime.agents, remotes: ctx.remotes }, name).display;
  } catch (error) {
    if (error instanceof CovenantError) return name;
    throw error;
  }
}

/** Does the manifest list `action` (exactly, as a parent: `memory.read` covers `memory.read.working`, or as `x.*`)? */
export function declares(agent: InstalledAgent, action: string): boolean {
  const listed = [...agent.manifest.capabilities.required, ...agent.manifest.capabilities.optional];
  return listed.some((a) => a === action || action.startsWith(`${a.endsWith('.*') ? a.slice(0, -1) : `${a}.`}`));
}

export function hostCallOpener(context: () => DaemonContext): HostCallOpener<Caller> {
  return { open: (run) => new HostCallRun(context(), run.principal, run.agent, run.intentId) };
}

class HostCallRun implements MeteredHostCalls {
  /** Tokens of this run's model calls; null until one was metered. */
  tokensUsed: number | null = null;

  constructor(
    private readonly ctx: DaemonContext,
    private readonly caller: Caller,
    private readonly agent: InstalledAgent,
    private readonly intentId: string,
  ) {}

  refused(call: { id: number; call: string | null }, error: HostCallError): void {
    this.audit(call.call, error.code);
  }

  async serve(call: HostCall, signal: AbortSignal): Promise<HostCallOutcome> {
    try {
      const spec = CALLS[call.call];
      if (spec === undefined) {
        throw new CovenantError('E_HOST_CALL_INVALID', `unknown host call ${JSON.stringify(call.call.slice(0, 64))}; the daemon serves ${Object.keys(CALLS).join(', ')}`);
      }
      const parsed = spec.params.safeParse(call.params ?? {});
      if (!parsed.success) {
        const first = parsed.error.issues[0];
        throw new CovenantError('E_HOST_CALL_INVALID', `${call.call} params: ${first ? `${first.path.join('.') || '(params)'}: ${first.message}` : 'invalid'}`);
      }
      const action = spec.action(parsed.data, this.ctx);
      if (!declares(this.agent, action)) {
        throw new CovenantError('E_CAPABILITY_MISSING', `agent ${this.agent.id} does not declare ${action}: add it to [capabilities] optional in its agent.toml to make the ${call.call} host call`);
      }
      const kind = REQUEST_KIND[call.call];
      if (kind !== undefined) return await this.forward(call.call, kind, parsed.data, signal);
      return { result: await this.model(call.call, action, parsed.data, signal) };
    } catch (error) {
      const wire = error instanceof CovenantError ? { code: error.code, message: redactedRefusal(this.ctx, error).message } : { code: 'E_INTERNAL', message: 'the host call failed inside the daemon; see the daemon log' };
      if (!(error instanceof CovenantError)) this.ctx.log.error({ err: error, call: call.call }, 'host call failed');
      if (!(error instanceof CovenantError && error.audited)) this.audit(call.call, wire.code);
      return { error: wire };
    }
  }

  /** A memory, tools or a2a call: the caller's own request of that kind (authorized, audited, paid as such). */
  private async forward(call: string, kind: string, params: Record<string, unknown>, signal: AbortSignal): Promise<HostCallOutcome> {
    const reply = await executeRequest(this.ctx, this.caller, { ...params, kind }, signal);
    if (reply.kind === 'error') {
      const error = { code: String(reply.code), message: String(reply.message) };
      this.audit(call, error.code);
      return { error };
    }
    this.audit(call, 'ok');
    return { result: reply };
  }

  private async model(call: string, action: string, params: Record<string, unknown>, signal: AbortSignal): Promise<unknown> {
    this.ctx.authorizer.require(this.caller, { action, facts: { agent: this.agent.id } }, `host call ${call}`);
    const { provider, config } = this.ctx.model.get();
    const admission = this.ctx.budget.admitModelCall(this.agent.id);
    if (!admission.ok) throw this.ctx.budget.modelCallRefusal(admission);
    const started = performance.now();
    let tokens = 0;
    let outcome = 'ok';
    try {
      if (call === 'model.chat') {
        const chat = params as z.infer<typeof ChatParams>;
        const answer = await provider.chat({ messages: chat.messages, maxTokens: Math.min(chat.max_tokens ?? config.max_tokens, config.max_tokens) }, signal);
        tokens = answer.tokens.prompt + answer.tokens.completion;
        const firstToken = 'firstTokenMs' in answer && typeof answer.firstTokenMs === 'number' ? { first_token_ms: answer.firstTokenMs } : {};
        return { text: answer.text, model: answer.model, tokens: answer.tokens, ...firstToken };
      }
      const input = (params as z.infer<typeof EmbedParams>).input;
      const answer = await provider.embed(typeof input === 'string' ? [input] : input, signal);
      tokens = answer.tokens;
      return { model: answer.model, vectors: answer.vectors, dims: answer.vectors[0]?.length ?? 0, tokens: answer.tokens };
    } catch (error) {
      outcome = error instanceof CovenantError ? error.code : 'E_INTERNAL';
      throw new CovenantError(error instanceof CovenantError ? error.code : 'E_MODEL_FAILED', error instanceof Error ? error.message : String(error), { cause: error, audited: true });
    } finally {
      this.meter(call, outcome, tokens, performance.now() - started);
    }
  }

  /** The model call's compute receipt, its budget debit and its audit row, in one transaction. */
  private meter(call: string, outcome: string, tokens: number, wallMs: number): void {
    const { db, clock, budget } = this.ctx;
    const credits = computeCredits(wallMs);
    transact(db, () => {
      const receiptId = newId();
      new Receipts(db).insert({
        id: receiptId,
        payer: this.caller.agentId.pubkey,
        resource: 'compute',
        status: outcome === 'ok' ? 'ok' : 'failed',
        credits_consumed: credits,
        settled_at: clock.now(),
        intent_id: this.intentId,
        memory_record_id: null,
        failure_reason: outcome === 'ok' ? null : outcome,
        tokens_used: tokens,
      });
      budget.chargeModelCall(this.agent.id, credits, this.intentId);
      this.audit(call, outcome, { tokens, receipt_id: receiptId });
    });
    this.tokensUsed = (this.tokensUsed ?? 0) + tokens;
  }

  private audit(call: string | null, outcome: string, metered?: { tokens: number; receipt_id: string }): void {
    this.ctx.audit.append(this.caller.agentId, { kind: 'agent_host_call', payload: {
      agent: this.agent.id,
      intent_id: this.intentId,
      call,
      outcome,
      ...(metered ?? {}),
    } });
  }
}
