/**
 * The dispatch pipeline (SPEC 12, 7, 14, 15, 3): the one place an intent becomes an agent run.
 *
 *   ignoreGate → route → capabilityChecks → budgetGate → run → settle
 *
 * Every step's dependency is required (PipelineDeps): a daemon wired without one does not
 * compile, and test/intent/pipeline-wiring.test.ts proves on the real daemon that each runs.
 *
 * - ignoreGate: `deps.ignore.check(text, agentId)` (the .covenantignore gate). It runs first,
 *   with the home rules plus the rules of the agent named by `--agent`; when the router picked
 *   the agent it runs again with that agent's scoped rules. An ignored intent answers
 *   `status: "ignored"`, writes `intent_ignored {intent_id, matched_rule, source}` and nothing
 *   else (no memory, no receipt, no debit).
 * - route: `--agent <id>` picks the agent (unknown id → E_NOT_FOUND); otherwise the router
 *   (keywords, then card similarity). No match answers `status: "unrouted"` (how to install
 *   or name an agent), writes `intent_unrouted` and nothing else (no receipt, no debit).
 * - capabilityChecks: `intent.submit` was already checked before the handler ran (with
 *   `facts.agent` when `--agent` was given); naming an agent needs nothing more. Each action in
 *   the agent's `[capabilities] required` is checked against the request's principal with
 *   `deps.authorize(principal, {action, facts: {agent}})`; a refusal is E_CAPABILITY_MISSING,
 *   audited by the authorizer, and nothing runs.
 * - budgetGate: `deps.budget.admit`; a refusal pauses the intent (`pauseExhausted`: checkpoint
 *   and `budget_exhausted` row) and answers E_BUDGET_EXHAUSTED. An admitted run gets the
 *   budget's deadline (`guard`): a run preempted at it is settled as failed, then paused.
 * - run: the runner of the agent's backend (`sandbox.backend`, `COVENANT_RUNTIME_BACKEND`,
 *   default trusted-local; `sandbox.required` never falls back to trusted-local).
 * - settle: ONE SQLite transaction writes the compute receipt (status ok|failed, settlement's
 *   `computeCredits` of the wall time; 0 when the agent never started), on success the
 *   `working` memory record (id = intent_id) with its own `memory` receipt, written by the
 *   memory service (`metadata.compute_receipt_id` names the compute receipt), the budget debit
 *   of the compute credits (or the release of the admission's reservation) and the
 *   `intent_dispatched` / `intent_failed` audit row. Audit rows carry hashes and lengths of the
 *   intent and the answer, never the text.
 */
import type { AuditLog } from '../audit/index.js';
import type { BudgetStep, PausableIntent } from '../budget/index.js';
import { CovenantError, newId, quoteInput, sha256Hex, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { MemoryService, PreparedAnswer } from '../memory/index.js';
import type { IntentOutcome } from '../protocol/index.js';
import type { IgnoreGate } from '../policy/index.js';
import {
  runRequestFor,
  type AgentFailureReason,
  type AgentRunResult,
  type HostCallSession,
  type InstalledAgent,
  type InstalledAgents,
  type RunnerPool,
  type RuntimeLog,
} from '../runtime/index.js';
import { computeCredits, Receipts } from '../settlement/index.js';
import { transact, type Db } from '../store/index.js';
import { unroutedAnswer } from './unrouted.js';
import type { IntentRouter } from './router.js';

/**
 * Who submits an intent, as the transports authenticated them (the request's `Caller` is
 * one). The pipeline reads only `agentId` (issuer of its audit rows, payer of its receipts,
 * owner of the memory record) and hands the whole principal to `deps.authorize`.
 */
export interface IntentPrincipal {
  readonly agentId: AgentId;
}

export interface IntentRequest<P extends IntentPrincipal> {
  principal: P;
  text: string;
  /** `--agent`: skip routing. */
  agent?: string | undefined;
  /** Re-run an existing intent id (resuming a paused intent); default: a fresh id. */
  intentId?: string;
}

/** One capability action checked for the principal; throws (audited) when it is missing. */
export type CapabilityCheck<P extends IntentPrincipal> = (principal: P, authorization: { action: string; facts: Record<string, unknown> }) => void;

/** A run's host-call session that also counts the tokens its model calls used (for the run's receipt). */
export interface MeteredHostCalls extends HostCallSession {
  /** Tokens of the run's model calls so far; null when it made none. */
  readonly tokensUsed: number | null;
}

/** Opens the host-call session of one run (SPEC 12 "Host calls"): calls checked as `principal`, attenuated by the agent's manifest. */
export interface HostCallOpener<P extends IntentPrincipal> {
  open(run: { principal: P; agent: InstalledAgent; intentId: string }): MeteredHostCalls;
}

/** The pipeline's steps, each a required dependency. */
export interface PipelineDeps<P extends IntentPrincipal> {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  router: IntentRouter;
  ignore: Pick<IgnoreGate, 'check'>;
  /** Installed agents. */
  agents: Pick<InstalledAgents, 'list' | 'get'>;
  authorize: CapabilityCheck<P>;
  budget: BudgetStep;
  runners: Pick<RunnerPool, 'runnerFor'>;
  /** Writes the answer's memory record and its memory receipt (inside settle's transaction), its vector made ahead. */
  memory: Pick<MemoryService, 'recordAnswer' | 'prepareAnswer'>;
  /** Serves `[agent] host_calls = true` agents' calls (model, memory, tools). */
  hostCalls: HostCallOpener<P>;
  log: RuntimeLog;
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

export class DispatchPipeline<P extends IntentPrincipal> {
  private readonly receipts: Receipts;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(private readonly deps: PipelineDeps<P>) {
    this.receipts = new Receipts(deps.db);
  }

  async submit(request: IntentRequest<P>): Promise<IntentOutcome> {
    const intentId = request.intentId ?? newId();

    const ignoredEarly = this.ignoreGate(intentId, request, request.agent);
    if (ignoredEarly) return ignoredEarly;

    const route = this.route(request);
    if (route === null) return this.unrouted(intentId, request);
    const agent = route.agent;

    if (route.by !== 'agent_flag') {
      const ignoredScoped = this.ignoreGate(intentId, request, agent.id);
      if (ignoredScoped) return ignoredScoped;
    }

    this.capabilityChecks(request, agent);
    this.budgetGate(intentId, request, agent);
    const guard = this.deps.budget.guard(agent.id, intentId);
    let settled = false;
    try {
      const hostCalls = agent.manifest.agent.host_calls ? this.deps.hostCalls.open({ principal: request.principal, agent, intentId }) : null;
      // The answer's vector is made as soon as the answer is read, while the agent's process exits.
      let prepared: PreparedAnswer | undefined;
      const onAnswer = (answer: { text: string }) => {
        prepared = this.deps.memory.prepareAnswer(answer.text);
      };
      const result = await this.run(intentId, request, agent, route, guard.signal, hostCalls, onAnswer);
      const preempted = guard.preempted;
      const outcome = this.settle(intentId, request, agent, route, preempted ? this.preemptedResult(agent, result) : result, hostCalls?.tokensUsed ?? null, prepared);
      settled = true;
      if (!preempted) return outcome;
      // The budget ran out mid-run: the run is paid for (receipt above) and the intent is paused.
      const error = this.deps.budget.preempted(this.budgetIntent(intentId, request, agent), {
        wallMs: result.wallMs,
        credits: outcome.settlement?.credits_consumed ?? 0,
      });
      return { ...outcome, status: 'paused', text: error.message };
    } finally {
      guard.dispose();
      if (!settled) this.deps.budget.release(intentId);
    }
  }

  private budgetIntent(intentId: string, request: IntentRequest<P>, agent: InstalledAgent): PausableIntent {
    return { intentId, agent: agent.id, caller: request.principal.agentId, text: request.text };
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
  ignoreGate(intentId: string, request: IntentRequest<P>, agentId: string | undefined): IntentOutcome | null {
    const verdict = this.deps.ignore.check(request.text, agentId);
    if (!verdict.ignored) return null;
    this.deps.audit.append(request.principal.agentId, { kind: 'intent_ignored', payload: {
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

  /** Step 2: `--agent`, else keywords, else card similarity; null → unrouted. */
  route(request: IntentRequest<P>): Route {
    const catalog = this.deps.agents;
    if (request.agent !== undefined) {
      const agent = catalog.get(request.agent);
      if (!agent) {
        throw new CovenantError('E_NOT_FOUND', `no installed agent ${quoteInput(request.agent)}; see \`covenant agents list\``);
      }
      return { agent, by: 'agent_flag', score: null };
    }
    const decision = this.deps.router.route(request.text, catalog.list());
    if (decision === null) return null;
    const agent = catalog.get(decision.agent);
    return agent ? { agent, by: decision.by, score: decision.score } : null;
  }

  /** Step 3: the agent's `[capabilities] required`, each checked against the principal. */
  capabilityChecks(request: IntentRequest<P>, agent: InstalledAgent): void {
    for (const action of agent.manifest.capabilities.required) {
      this.deps.authorize(request.principal, { action, facts: { agent: agent.id } });
    }
  }

  /** Step 4: the budget gate; a refused intent is paused and answers E_BUDGET_EXHAUSTED (audited). */
  budgetGate(intentId: string, request: IntentRequest<P>, agent: InstalledAgent): void {
    const admission = this.deps.budget.admit(agent.id, intentId);
    if (!admission.ok) throw this.deps.budget.pauseExhausted(this.budgetIntent(intentId, request, agent), admission);
  }

  /** Step 5: run the agent on its backend. Never throws: every problem is a failed result. */
  async run(
    intentId: string,
    request: IntentRequest<P>,
    agent: InstalledAgent,
    route: NonNullable<Route>,
    budgetSignal: AbortSignal,
    hostCalls: HostCallSession | null,
    onAnswer?: (answer: { text: string }) => void,
  ): Promise<AgentRunResult> {
    const started = performance.now();
    const task = (async (): Promise<AgentRunResult> => {
      try {
        const runner = this.deps.runners.runnerFor(agent.backend);
        const runRequest = runRequestFor(
          { manifest: agent.manifest, dir: agent.packageDir },
          { intent_id: intentId, text: request.text, context: { caller: request.principal.agentId.display, routed_by: route.by } },
          { signal: AbortSignal.any([this.abort.signal, budgetSignal]) },
        );
        if (hostCalls) runRequest.hostCalls = hostCalls;
        if (onAnswer) runRequest.onAnswer = onAnswer;
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

  /**
   * Step 6: compute receipt + memory record and its receipt + debit + audit row, in one
   * transaction. `tokensUsed`: the tokens of the run's model host calls, shown in the answer's
   * `settlement`; each call's own receipt records its tokens (the run's receipt does not repeat
   * them, so summing `tokens_used` over an intent's receipts counts each token once).
   */
  settle(
    intentId: string,
    request: IntentRequest<P>,
    agent: InstalledAgent,
    route: NonNullable<Route>,
    result: SettleResult,
    tokensUsed: number | null = null,
    prepared?: PreparedAnswer,
  ): IntentOutcome {
    const { db, audit, clock, budget } = this.deps;
    const caller = request.principal.agentId;
    const receiptId = newId();
    const wallMs = Math.max(0, Math.round(result.wallMs));
    const credits = result.ok || !NOT_STARTED.includes(result.reason) ? computeCredits(wallMs) : 0;
    const sources = result.ok ? (result.answer.sources ?? []) : [];
    const intentFacts = { text_bytes: Buffer.byteLength(request.text), text_sha256: sha256Hex(request.text) };

    transact(db, () => {
      this.receipts.insert({
        id: receiptId,
        payer: caller.pubkey,
        resource: 'compute',
        status: result.ok ? 'ok' : 'failed',
        credits_consumed: credits,
        settled_at: clock.now(),
        intent_id: intentId,
        memory_record_id: result.ok ? intentId : null,
        failure_reason: result.ok ? null : result.reason,
      });
      if (credits > 0) budget.debit(agent.id, credits, intentId);
      else budget.release(intentId);
      if (result.ok) {
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
        };
        if (result.answer.files !== undefined) metadata.files = result.answer.files;
        const memory = this.deps.memory.recordAnswer(caller, { intentId, text: result.answer.text, metadata, prepared });
        audit.append(caller, { kind: 'intent_dispatched', payload: {
          intent_id: intentId,
          agent: agent.id,
          backend: agent.backend,
          routed_by: route.by,
          receipt_id: receiptId,
          memory_record_id: intentId,
          memory_receipt_id: memory.receipt_id,
          wall_ms: wallMs,
          credits,
          ...intentFacts,
          answer_bytes: Buffer.byteLength(result.answer.text),
          answer_sha256: sha256Hex(result.answer.text),
        } });
      } else {
        audit.append(caller, { kind: 'intent_failed', payload: {
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
    });

    this.deps.log.info(
      { intent_id: intentId, agent: agent.id, backend: agent.backend, ok: result.ok, reason: result.ok ? null : result.reason, wall_ms: wallMs },
      result.ok ? 'intent dispatched' : 'intent failed',
    );
    const settlement: IntentOutcome['settlement'] = {
      receipt_id: receiptId,
      resource: 'compute',
      status: result.ok ? 'ok' : 'failed',
      credits_consumed: credits,
      tokens_used: tokensUsed,
    };
    return result.ok
      ? { intent_id: intentId, status: 'ok', agent: agent.id, text: result.answer.text, sources, settlement }
      : { intent_id: intentId, status: 'failed', agent: agent.id, text: result.message, sources: [], settlement };
  }

  /** No agent matched: `status: "unrouted"`, nothing charged, one `intent_unrouted` row. */
  unrouted(intentId: string, request: IntentRequest<P>): IntentOutcome {
    const installed = this.deps.agents.list().map((agent) => agent.id);
    this.deps.audit.append(request.principal.agentId, { kind: 'intent_unrouted', payload: {
      intent_id: intentId,
      text_bytes: Buffer.byteLength(request.text),
      text_sha256: sha256Hex(request.text),
      agents_installed: installed.length,
    } });
    return { intent_id: intentId, status: 'unrouted', agent: null, text: unroutedAnswer(installed), sources: [], settlement: null };
  }
}
