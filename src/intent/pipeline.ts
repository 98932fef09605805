/**
 * The dispatch pipeline (SPEC 12, 7, 14, 15, 3): the one place an intent becomes an agent run.
 *
 *   ignoreGate → route → capabilityChecks → budgetGate → run → settle
 *
 * - ignoreGate: `deps.ignore.check(text, agentId)` (the .covenantignore gate). It runs first,
 *   with the home rules plus the rules of the agent named by `--agent`; when the router picked
 *   the agent it runs again with that agent's scoped rules. An ignored intent answers
 *   `status: "ignored"`, writes `intent_ignored {intent_id, matched_rule, source}` and nothing
 *   else (no memory, no receipt, no debit). Skipped when no gate is configured.
 * - route: `--agent <id>` picks the agent (unknown id → E_NOT_FOUND); otherwise the router
 *   (keywords, then card similarity). No match answers the echo and writes `intent_echoed`.
 * - capabilityChecks: `intent.submit` was already checked before the handler ran (with
 *   `facts.agent` when `--agent` was given); naming an agent needs nothing more. Each action in
 *   the agent's `[capabilities] required` is checked against the caller with
 *   `deps.authorize(caller, {action, facts: {agent}})`; a refusal is E_CAPABILITY_MISSING,
 *   audited by the authorizer, and nothing runs.
 * - budgetGate: `deps.budget.admit(agentId, intentId, ...)`; `{ok: false}` refuses the intent
 *   (E_BUDGET_EXHAUSTED unless the gate names another code). Skipped without a budget gate.
 * - run: the runner of the agent's backend (`sandbox.backend`, `COVENANT_RUNTIME_BACKEND`,
 *   default trusted-local; `sandbox.required` never falls back to trusted-local).
 * - settle: ONE SQLite transaction writes the compute receipt (status ok|failed, 1 credit per
 *   started 1000 ms of wall time, minimum 1; 0 when the agent never started), on success the
 *   `working` memory record (id = intent_id) with its own `memory` receipt (the record's
 *   `receipt_id`; `metadata.compute_receipt_id` names the compute receipt), the budget debit of
 *   the compute credits (`deps.budget.debit`, synchronous, inside the same transaction) and the
 *   `intent_dispatched` / `intent_failed` audit row. Audit rows carry hashes and lengths of the
 *   intent and the answer, never the text.
 */
import type { AuditLog } from '../audit/index.js';
import { CovenantError, newId, quoteInput, sha256Hex, type Clock, type ErrorCode } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import { MemoryRecords, memoryCredits, type Embedder } from '../memory/index.js';
import {
  runRequestFor,
  type AgentFailureReason,
  type AgentRunner,
  type AgentRunResult,
  type InstalledAgent,
  type RuntimeBackend,
  type RuntimeLog,
} from '../runtime/index.js';
import { computeCredits, Receipts } from '../settlement/index.js';
import type { Db } from '../store/index.js';
import { echoAnswer } from './echo.js';
import type { IntentRouter } from './router.js';

export interface IntentRequest {
  caller: AgentId;
  text: string;
  /** `--agent`: skip routing. */
  agent?: string | undefined;
  /**
   * Who is asking, as the authorizer knows them (the daemon passes its `Caller`). Handed to
   * `deps.authorize`; defaults to `caller`.
   */
  principal?: unknown;
  /** Re-run an existing intent id (resuming a paused intent); default: a fresh id. */
  intentId?: string;
}

export interface SettlementSummary {
  receipt_id: string;
  resource: string;
  status: string;
  credits_consumed: number;
}

export interface IntentOutcome {
  intent_id: string;
  status: 'ok' | 'ignored' | 'failed' | 'paused';
  agent: string | null;
  text: string;
  sources: string[];
  settlement: SettlementSummary | null;
}

/** The .covenantignore gate's verdict. */
export interface IgnoreVerdict {
  ignored: boolean;
  matched_rule: string | null;
  source: string | null;
}

export interface IgnoreGate {
  /** `agentId` adds that agent's scoped rules; undefined: the home rules only. */
  check(text: string, agentId?: string): IgnoreVerdict | Promise<IgnoreVerdict>;
}

export type BudgetAdmission =
  | { ok: true; [key: string]: unknown }
  | { ok: false; message?: string; code?: ErrorCode; audited?: boolean; [key: string]: unknown };

/** The intent as the budget sees it (enough to pause it and resume it later). */
export interface BudgetIntent {
  intentId: string;
  agent: string;
  caller: AgentId;
  /** The caller's own text (for the paused-intent checkpoint; never audited). */
  text: string;
}

/** A budget deadline for one run: its signal aborts the run when the budget runs out. */
export interface BudgetRunGuard {
  signal: AbortSignal;
  readonly preempted: boolean;
  dispose(): void;
}

/**
 * The budget step's dependency. Only `admit` and `debit` are required; the optional hooks let
 * a budget pause refused intents, preempt runs at their deadline and drop reservations.
 */
export interface BudgetGate {
  admit(agentId: string, intentId: string, intent: BudgetIntent): BudgetAdmission | Promise<BudgetAdmission>;
  /** Called inside the settle transaction (so it commits with the receipt); must be synchronous. */
  debit(agentId: string, credits: number, intentId: string): unknown;
  /** On a refused admission: save the paused intent, audit it, return the error to answer with. */
  pauseExhausted?(intent: BudgetIntent, refusal: Extract<BudgetAdmission, { ok: false }>): Error;
  /** A deadline for the run (absent: runs are never preempted by the budget). */
  guard?(agentId: string, intentId: string): BudgetRunGuard;
  /** After a preempted run was settled: save its checkpoint, audit it, return the error whose message answers. */
  preempted?(intent: BudgetIntent, run: { wallMs: number; credits: number }): Error;
  /** Drops an admitted intent's reservation when it will not be debited after all. */
  release?(intentId: string): void;
}

export interface AgentCatalog {
  list(): InstalledAgent[];
  get(id: string): InstalledAgent | undefined;
}

export interface RunnerSource {
  runnerFor(backend: RuntimeBackend): AgentRunner;
}

export interface PipelineDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  embedder: Embedder;
  router: IntentRouter;
  /** Installed agents; absent: every intent is echoed. */
  agents?: AgentCatalog;
  runners?: RunnerSource;
  /** Checks one capability action for the caller; throws (audited) when it is missing. */
  authorize?: (principal: unknown, authorization: { action: string; facts?: Record<string, unknown> }) => void;
  ignore?: IgnoreGate;
  budget?: BudgetGate;
  log?: RuntimeLog;
}

/** A run's result as settled: the runner's, or a budget preemption. */
type SettleResult = AgentRunResult | { ok: false; reason: 'budget_preempted'; message: string; wallMs: number; exitCode?: number | null };

type Route = { agent: InstalledAgent; by: 'agent_flag' | 'keyword' | 'similarity'; score: number | null } | null;

/** Reasons for which the agent never started: no compute was used, nothing is charged. */
const NOT_STARTED: readonly string[] = ['sandbox_unavailable', 'spawn_failed'] satisfies AgentFailureReason[];

/** What the audit row says about a failure: fixed phrases, never the agent's output. */
function auditMessage(agent: string, backend: string, result: Extract<SettleResult, { ok: false }>): string {
  const head = `agent ${agent} (${backend})`;
  switch (result.reason) {
    case 'timeout':
      return `${head}: timed out; its processes were killed`;
    case 'stdout_overflow':
      return `${head}: stdout exceeded the cap; its processes were killed`;
    case 'malformed_output':
      return `${head}: malformed output (expected one JSON line {"text": ...} on stdout)`;
    case 'nonzero_exit':
      return result.exitCode === null || result.exitCode === undefined
        ? `${head}: killed by a signal`
        : `${head}: exited with code ${result.exitCode}`;
    case 'spawn_failed':
      return `${head}: could not be started`;
    case 'aborted':
      return `${head}: run aborted`;
    case 'sandbox_unavailable':
      return `${head}: sandbox unavailable (see covenant doctor)`;
    case 'budget_preempted':
      return `${head}: preempted when its budget ran out`;
    default:
      return `${head}: failed`;
  }
}

export class DispatchPipeline {
  private readonly receipts: Receipts;
  private readonly memory: MemoryRecords;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(private readonly deps: PipelineDeps) {
    this.receipts = new Receipts(deps.db);
    this.memory = new MemoryRecords(deps.db);
  }

  async submit(request: IntentRequest): Promise<IntentOutcome> {
    const intentId = request.intentId ?? newId();

    const ignoredEarly = await this.ignoreGate(intentId, request, request.agent);
    if (ignoredEarly) return ignoredEarly;

    const route = this.route(request);
    if (route === null) return this.echo(intentId, request);
    const agent = route.agent;

    if (route.by !== 'agent_flag') {
      const ignoredScoped = await this.ignoreGate(intentId, request, agent.id);
      if (ignoredScoped) return ignoredScoped;
    }

    this.capabilityChecks(request, agent);
    await this.budgetGate(intentId, request, agent);
    const guard = this.deps.budget?.guard?.(agent.id, intentId);
    let settled = false;
    try {
      const result = await this.run(intentId, request, agent, route, guard?.signal);
      const preempted = guard?.preempted === true;
      const outcome = this.settle(intentId, request, agent, route, preempted ? this.preemptedResult(agent, result) : result);
      settled = true;
      if (!preempted || !this.deps.budget?.preempted) return outcome;
      // The budget ran out mid-run: the run is paid for (receipt above) and the intent is paused.
      const error = this.deps.budget.preempted(this.budgetIntent(intentId, request, agent), {
        wallMs: result.wallMs,
        credits: outcome.settlement?.credits_consumed ?? 0,
      });
      return { ...outcome, status: 'paused', text: error.message };
    } finally {
      guard?.dispose();
      if (!settled) this.deps.budget?.release?.(intentId);
    }
  }

  private budgetIntent(intentId: string, request: IntentRequest, agent: InstalledAgent): BudgetIntent {
    return { intentId, agent: agent.id, caller: request.caller, text: request.text };
  }

  /** A run stopped by the budget deadline is a failure whatever the runner saw. */
  private preemptedResult(agent: InstalledAgent, result: AgentRunResult): SettleResult {
    return {
      ok: false,
      reason: 'budget_preempted',
      message: `agent ${agent.id}: preempted, its budget ran out during the run; its processes were killed`,
      wallMs: result.wallMs,
    };
  }

  /** Aborts runs still in flight (daemon shutdown) and waits until they are settled. */
  async close(): Promise<void> {
    this.abort.abort();
    await Promise.allSettled([...this.inFlight]);
  }

  // ---- steps -------------------------------------------------------------------------------

  /** Step 1 (and again after routing): the .covenantignore gate. Null when not ignored. */
  async ignoreGate(intentId: string, request: IntentRequest, agentId: string | undefined): Promise<IntentOutcome | null> {
    const gate = this.deps.ignore;
    if (!gate) return null;
    const verdict = await gate.check(request.text, agentId);
    if (!verdict.ignored) return null;
    this.deps.audit.append(request.caller, { kind: 'intent_ignored', payload: {
      intent_id: intentId,
      matched_rule: verdict.matched_rule,
      source: verdict.source,
    } });
    return {
      intent_id: intentId,
      status: 'ignored',
      agent: agentId ?? null,
      text: `ignored by .covenantignore rule: ${verdict.matched_rule ?? '(unknown rule)'}`,
      sources: [],
      settlement: null,
    };
  }

  /** Step 2: `--agent`, else keywords, else card similarity; null → echo. */
  route(request: IntentRequest): Route {
    const catalog = this.deps.agents;
    if (request.agent !== undefined) {
      const agent = catalog?.get(request.agent);
      if (!agent) {
        throw new CovenantError('E_NOT_FOUND', `no installed agent ${quoteInput(request.agent)}; see \`covenant agents list\``);
      }
      return { agent, by: 'agent_flag', score: null };
    }
    if (!catalog || !this.deps.runners) return null;
    const agents = catalog.list();
    const decision = this.deps.router.route(request.text, agents);
    if (decision === null) return null;
    const agent = catalog.get(decision.agent);
    return agent ? { agent, by: decision.by, score: decision.score } : null;
  }

  /** Step 3: the agent's `[capabilities] required`, each checked against the caller. */
  capabilityChecks(request: IntentRequest, agent: InstalledAgent): void {
    const authorize = this.deps.authorize;
    if (!authorize) return;
    for (const action of agent.manifest.capabilities.required) {
      authorize(request.principal ?? request.caller, { action, facts: { agent: agent.id } });
    }
  }

  /** Step 4: the budget gate; throws when the agent has no budget left. */
  async budgetGate(intentId: string, request: IntentRequest, agent: InstalledAgent): Promise<void> {
    const budget = this.deps.budget;
    if (!budget) return;
    const intent = this.budgetIntent(intentId, request, agent);
    const admission = await budget.admit(agent.id, intentId, intent);
    if (admission.ok) return;
    if (budget.pauseExhausted) throw budget.pauseExhausted(intent, admission);
    throw new CovenantError(
      admission.code ?? 'E_BUDGET_EXHAUSTED',
      admission.message ?? `agent ${agent.id} has no budget left; try again later or top it up`,
      { audited: admission.audited ?? false },
    );
  }

  /** Step 5: run the agent on its backend. Never throws: every problem is a failed result. */
  async run(
    intentId: string,
    request: IntentRequest,
    agent: InstalledAgent,
    route: NonNullable<Route>,
    budgetSignal?: AbortSignal,
  ): Promise<AgentRunResult> {
    const started = performance.now();
    const task = (async (): Promise<AgentRunResult> => {
      try {
        const runners = this.deps.runners;
        if (!runners) throw new Error('no runners are configured');
        const runner = runners.runnerFor(agent.backend);
        const runRequest = runRequestFor(
          { manifest: agent.manifest, dir: agent.packageDir },
          { intent_id: intentId, text: request.text, context: { caller: request.caller.display, routed_by: route.by } },
          { signal: budgetSignal ? AbortSignal.any([this.abort.signal, budgetSignal]) : this.abort.signal },
        );
        return await runner.run(runRequest);
      } catch (error) {
        return {
          ok: false,
          reason: 'spawn_failed',
          message: `agent ${agent.id}: could not be run: ${error instanceof Error ? error.message : String(error)}`,
          wallMs: performance.now() - started,
        };
      }
    })();
    this.inFlight.add(task);
    try {
      return await task;
    } finally {
      this.inFlight.delete(task);
    }
  }

  /** Step 6: receipt + memory record + debit + audit row, in one transaction. */
  settle(
    intentId: string,
    request: IntentRequest,
    agent: InstalledAgent,
    route: NonNullable<Route>,
    result: SettleResult,
  ): IntentOutcome {
    const { db, audit, clock } = this.deps;
    const receiptId = newId();
    const memoryReceiptId = result.ok ? newId() : null;
    const wallMs = Math.max(0, Math.round(result.wallMs));
    const credits = result.ok || !NOT_STARTED.includes(result.reason) ? computeCredits(wallMs) : 0;
    const embedding = result.ok ? this.deps.embedder.embed(result.answer.text) : null;
    const sources = result.ok ? (result.answer.sources ?? []) : [];
    const intentFacts = { text_bytes: Buffer.byteLength(request.text), text_sha256: sha256Hex(request.text) };

    db.transaction(() => {
      const now = clock.now();
      this.receipts.insert({
        id: receiptId,
        payer: request.caller.pubkey,
        resource: 'compute',
        status: result.ok ? 'ok' : 'failed',
        credits_consumed: credits,
        settled_at: now,
        intent_id: intentId,
        memory_record_id: result.ok ? intentId : null,
        failure_reason: result.ok ? null : result.reason,
      });
      if (result.ok) {
        // The record's own receipt (resource memory), so every memory record has exactly one
        // memory receipt however it was written (SPEC 2 memory_receipts, SPEC 3 receipt_id).
        this.receipts.insert({
          id: memoryReceiptId as string,
          payer: request.caller.pubkey,
          resource: 'memory',
          status: 'ok',
          credits_consumed: memoryCredits(Buffer.byteLength(result.answer.text)),
          settled_at: now,
          // Like every memory receipt it names the record, not the intent (whose id it shares):
          // "the receipts of intent X" are what its run cost.
          intent_id: null,
          memory_record_id: intentId,
          failure_reason: null,
        });
        const metadata: Record<string, unknown> = {
          source: 'dispatch',
          intent_id: intentId,
          compute_receipt_id: receiptId,
          agent: agent.id,
          agent_version: agent.manifest.agent.version,
          backend: agent.backend,
          routed_by: route.by,
          sources,
          wall_ms: wallMs,
          intent_sha256: intentFacts.text_sha256,
          embedder: this.deps.embedder.id,
        };
        if (result.answer.files !== undefined) metadata.files = result.answer.files;
        this.memory.insert({
          id: intentId,
          tier: 'working',
          owner: request.caller.pubkey,
          text: result.answer.text,
          embedding: embedding as Float32Array,
          metadata,
          created_at: now,
          parent: null,
          receipt_id: memoryReceiptId,
        });
      }
      if (credits > 0) this.deps.budget?.debit(agent.id, credits, intentId);
      else this.deps.budget?.release?.(intentId);
      if (result.ok) {
        audit.append(request.caller, { kind: 'intent_dispatched', payload: {
          intent_id: intentId,
          agent: agent.id,
          backend: agent.backend,
          routed_by: route.by,
          receipt_id: receiptId,
          memory_record_id: intentId,
          memory_receipt_id: memoryReceiptId,
          wall_ms: wallMs,
          credits,
          ...intentFacts,
          answer_bytes: Buffer.byteLength(result.answer.text),
          answer_sha256: sha256Hex(result.answer.text),
        } });
      } else {
        audit.append(request.caller, { kind: 'intent_failed', payload: {
          intent_id: intentId,
          agent: agent.id,
          backend: agent.backend,
          routed_by: route.by,
          receipt_id: receiptId,
          reason: result.reason,
          message: auditMessage(agent.id, agent.backend, result),
          exit_code: result.exitCode ?? null,
          wall_ms: wallMs,
          credits,
          ...intentFacts,
        } });
      }
    })();

    this.deps.log?.info(
      { intent_id: intentId, agent: agent.id, backend: agent.backend, ok: result.ok, reason: result.ok ? null : result.reason, wall_ms: wallMs },
      result.ok ? 'intent dispatched' : 'intent failed',
    );
    const settlement: SettlementSummary = {
      receipt_id: receiptId,
      resource: 'compute',
      status: result.ok ? 'ok' : 'failed',
      credits_consumed: credits,
    };
    return result.ok
      ? { intent_id: intentId, status: 'ok', agent: agent.id, text: result.answer.text, sources, settlement }
      : { intent_id: intentId, status: 'failed', agent: agent.id, text: result.message, sources: [], settlement };
  }

  /** No agent matched: today's echo answer and its `intent_echoed` row. */
  echo(intentId: string, request: IntentRequest): IntentOutcome {
    this.deps.audit.append(request.caller, { kind: 'intent_echoed', payload: {
      intent_id: intentId,
      text_bytes: Buffer.byteLength(request.text),
      text_sha256: sha256Hex(request.text),
    } });
    return { intent_id: intentId, status: 'ok', agent: null, text: echoAnswer(request.text), sources: [], settlement: null };
  }
}
