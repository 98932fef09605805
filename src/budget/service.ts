import { intentAuditRows, intentStatusOf, listIntents, type AuditLog } from '../audit/index.js';
import { CovenantError, formatDuration, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { IntentOutcome } from '../protocol/index.js';
import { computeCredits } from '../settlement/index.js';
import { transact, type Db } from '../store/index.js';
import {
  ADMIT_CREDITS,
  deadlineForBalance,
  msUntil,
  refill,
  roundCredits,
  type BucketState,
} from './bucket.js';
import { realTimeDeadline, type DeadlineTimer } from './deadline-timer.js';
import { BudgetStore, type BucketRow, type BudgetSource, type PauseReason } from './store.js';

export interface BudgetServiceDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  /** Issuer of rows the daemon writes on its own (buckets configured from manifests). */
  daemon: AgentId;
  /** When a run's deadline fires (default: real time). */
  deadlineTimer?: DeadlineTimer;
}

export type AdmitResult =
  | { ok: true; unlimited: boolean; remaining: number | null }
  | { ok: false; agent: string; requested: number; remaining: number; refill_eta_ms: number };

/** An intent that may have to be paused: everything needed to re-run it later. */
export interface PausableIntent {
  intentId: string;
  agent: string;
  caller: AgentId;
  /** The caller's own text: stored in the checkpoint (database only), never audited. */
  text: string;
}

export interface BudgetEntry {
  agent: string;
  credits_per_hour: number;
  balance: number;
  /** Milliseconds until the balance holds the 1 credit an intent needs (0: it does now). */
  refill_eta_ms: number;
  /** Milliseconds until the bucket is full again. */
  full_in_ms: number;
  paused_intents: number;
  configured_by: BudgetSource;
}

/** What the pipeline passes a run so a budget can stop it. */
export interface RunGuard {
  /** Aborted when the run reaches its budget deadline (null deadline: never). */
  signal: AbortSignal;
  deadlineMs: number | null;
  /** True once the deadline fired. */
  readonly preempted: boolean;
  dispose(): void;
}

/** An admission `admit` refused: what was needed, what is left and when it refills. */
export type AdmitRefusal = Extract<AdmitResult, { ok: false }>;

/**
 * The dispatch pipeline's budget step (SPEC 14), one interface: `admit` before the run (a
 * refusal is paused with `pauseExhausted`), a deadline `guard` during it, then `debit` (inside
 * the settle transaction) or `release`, and `preempted` for a run stopped at its deadline.
 */
export interface BudgetStep {
  admit(agentId: string, intentId: string): AdmitResult;
  pauseExhausted(intent: PausableIntent, refusal: AdmitRefusal): CovenantError;
  guard(agentId: string, intentId: string): RunGuard;
  debit(agentId: string, credits: number, intentId: string): number | null;
  release(intentId: string): void;
  preempted(intent: PausableIntent, run: { wallMs: number; credits?: number }): CovenantError;
}

export type ResumeSubmit = (request: { caller: AgentId; text: string; agent: string; intentId: string }) => Promise<IntentOutcome>;

export type ResumeResult =
  | ({ ok: true; mode: 'resumed'; refill_eta_ms: null } & IntentOutcome)
  | ({ ok: false; mode: 'still_paused'; refill_eta_ms: number } & IntentOutcome);

interface Reservation {
  agent: string;
  credits: number;
  expiresAt: number;
}

/** How long after its deadline a reservation is forgotten if the run never reports back. */
const RESERVATION_GRACE_MS = 60_000;

function describeMs(ms: number): string {
  return Number.isFinite(ms) ? formatDuration(ms) : 'never (the agent has no refill; top it up)';
}

/** Infinity does not survive JSON; an ETA that never comes is reported as -1. */
function wireEta(ms: number): number {
  return Number.isFinite(ms) ? ms : -1;
}

/**
 * Budgets (SPEC 14, docs/budgets.md): one token bucket per limited agent, checked before a
 * run (`admit`), debited after it (`debit`), with paused-intent checkpoints that the owner
 * resumes once. State changes and refusals write their audit rows in the same transaction.
 */
export class BudgetService implements BudgetStep {
  readonly store: BudgetStore;
  private readonly reservations = new Map<string, Reservation>();

  constructor(private readonly deps: BudgetServiceDeps) {
    this.store = new BudgetStore(deps.db);
  }

  private now(): number {
    return this.deps.clock.now();
  }

  private tx<T>(fn: () => T): T {
    return transact(this.deps.db, fn);
  }

  /** The agent's bucket brought up to now, or null when the agent is unlimited. */
  private current(agentId: string): (BucketState & { row: BucketRow }) | null {
    const row = this.store.bucket(agentId);
    if (!row || row.credits_per_hour <= 0) return null;
    const state = refill({ creditsPerHour: row.credits_per_hour, balance: row.balance, updatedAt: row.updated_at }, this.now());
    return { ...state, row };
  }

  private reserved(agentId: string, exceptIntent?: string): number {
    const now = this.now();
    let total = 0;
    for (const [intentId, r] of this.reservations) {
      if (r.expiresAt <= now) {
        this.reservations.delete(intentId);
        continue;
      }
      if (r.agent === agentId && intentId !== exceptIntent) total += r.credits;
    }
    return total;
  }

  /**
   * Configures an agent's bucket from its manifest (install, daemon start). An operator's
   * `budget set` wins over the manifest and is left alone. 0 = unlimited: the bucket is removed.
   */
  configureFromManifest(agentId: string, creditsPerHour: number): 'created' | 'updated' | 'unchanged' | 'removed' | 'operator_override' {
    return this.tx(() => {
      const row = this.store.bucket(agentId);
      if (row?.configured_by === 'operator') return 'operator_override';
      if (creditsPerHour <= 0) {
        if (!row) return 'unchanged';
        this.store.deleteBucket(agentId);
        this.deps.audit.append(this.deps.daemon, { kind: 'budget_configured', payload: { agent: agentId, credits_per_hour: 0, source: 'manifest' } });
        return 'removed';
      }
      if (row && row.credits_per_hour === creditsPerHour) return 'unchanged';
      this.apply(agentId, creditsPerHour, 'manifest');
      this.deps.audit.append(this.deps.daemon, { kind: 'budget_configured', payload: { agent: agentId, credits_per_hour: creditsPerHour, source: 'manifest' } });
      return row ? 'updated' : 'created';
    });
  }

  /** New or changed rate: a new bucket starts full; a lowered one is clamped to its new capacity. */
  private apply(agentId: string, creditsPerHour: number, by: BudgetSource): void {
    const now = this.now();
    const current = this.current(agentId);
    // Raised: the balance keeps refilling towards the new capacity. Lowered: clamped to it.
    const balance = current ? (creditsPerHour < current.creditsPerHour ? Math.min(current.balance, creditsPerHour) : current.balance) : creditsPerHour;
    this.store.upsertBucket({
      agent_id: agentId,
      credits_per_hour: creditsPerHour,
      balance: creditsPerHour > 0 ? balance : 0,
      updated_at: now,
      configured_by: by,
    });
  }

  /** `budget set` (operator): overrides the manifest from now on; 0 makes the agent unlimited. */
  set(caller: AgentId, agentId: string, creditsPerHour: number): { agent: string; credits_per_hour: number; previous: number } {
    return this.tx(() => {
      const previous = this.store.bucket(agentId)?.credits_per_hour ?? 0;
      this.apply(agentId, creditsPerHour, 'operator');
      this.deps.audit.append(caller, { kind: 'budget_set', payload: { agent: agentId, credits_per_hour: creditsPerHour, previous } });
      return { agent: agentId, credits_per_hour: creditsPerHour, previous };
    });
  }

  /** `budget topup`: adds credits now (a top-up may lift the balance above capacity). */
  topup(caller: AgentId, agentId: string, credits: number): { agent: string; balance: number } {
    return this.tx(() => {
      const current = this.current(agentId);
      if (!current) {
        throw new CovenantError(
          'E_NOT_FOUND',
          `agent ${agentId} has no budget (unlimited or not installed); set one with \`covenant budget set ${agentId} <credits-per-hour>\``,
        );
      }
      const balance = current.balance + credits;
      const now = this.now();
      this.store.saveBalance(agentId, balance, now);
      this.store.ledger({ agent_id: agentId, intent_id: null, kind: 'topup', credits, balance_after: balance, at: now });
      this.deps.audit.append(caller, { kind: 'budget_topped_up', payload: { agent: agentId, credits, balance: roundCredits(balance) } });
      return { agent: agentId, balance: roundCredits(balance) };
    });
  }

  /**
   * Before a run: does the agent's bucket hold the 1 credit an intent needs (after what
   * concurrent admitted runs have reserved)? On success 1 credit is reserved for the intent
   * until `debit` or `release`. A refused intent is paused with `pauseExhausted`.
   */
  admit(agentId: string, intentId: string): AdmitResult {
    const current = this.current(agentId);
    if (!current) return { ok: true, unlimited: true, remaining: null };
    const available = current.balance - this.reserved(agentId, intentId);
    if (available < ADMIT_CREDITS) {
      const eta = msUntil({ ...current, balance: available }, ADMIT_CREDITS);
      return { ok: false, agent: agentId, requested: ADMIT_CREDITS, remaining: roundCredits(Math.max(0, available)), refill_eta_ms: wireEta(eta) };
    }
    this.reservations.set(intentId, {
      agent: agentId,
      credits: ADMIT_CREDITS,
      expiresAt: this.now() + deadlineForBalance(available) + RESERVATION_GRACE_MS,
    });
    return { ok: true, unlimited: false, remaining: roundCredits(available) };
  }

  /**
   * An intent refused by `admit`: saves its checkpoint and audits `budget_exhausted` in one
   * transaction, and returns the E_BUDGET_EXHAUSTED error (already audited) to answer with.
   */
  pauseExhausted(intent: PausableIntent, refusal: AdmitRefusal): CovenantError {
    this.tx(() => {
      this.saveCheckpoint(intent, 'exhausted', refusal.requested, refusal.remaining, refusal.refill_eta_ms);
      this.deps.audit.append(intent.caller, { kind: 'budget_exhausted', payload: {
        intent_id: intent.intentId,
        agent: intent.agent,
        requested: refusal.requested,
        remaining: refusal.remaining,
        refill_eta_ms: refusal.refill_eta_ms,
      } });
    });
    return new CovenantError(
      'E_BUDGET_EXHAUSTED',
      `budget of agent ${intent.agent} is exhausted (${refusal.remaining} credit(s) left, ${refusal.requested} needed); ` +
        `intent ${intent.intentId} is paused, not lost. The budget refills enough in ${describeMs(refusal.refill_eta_ms < 0 ? Infinity : refusal.refill_eta_ms)} ` +
        `(refill_eta_ms ${refusal.refill_eta_ms}); then run \`covenant intents resume ${intent.intentId}\`, or top up with \`covenant budget topup ${intent.agent} <credits>\``,
      { audited: true },
    );
  }

  /**
   * The wall time a run of the agent may take before it is preempted: `floor(available) ×
   * 1000 ms`, where available is the balance minus what other admitted runs reserved. Null when
   * the agent is unlimited.
   */
  runDeadlineMs(agentId: string, intentId?: string): number | null {
    const current = this.current(agentId);
    if (!current) return null;
    return deadlineForBalance(current.balance - this.reserved(agentId, intentId));
  }

  /** An AbortSignal that fires at the run's budget deadline (never, for an unlimited agent). */
  guard(agentId: string, intentId: string): RunGuard {
    const deadlineMs = this.runDeadlineMs(agentId, intentId);
    const controller = new AbortController();
    let preempted = false;
    const cancel =
      deadlineMs === null
        ? null
        : (this.deps.deadlineTimer ?? realTimeDeadline)(deadlineMs, () => {
            preempted = true;
            controller.abort(new CovenantError('E_BUDGET_EXHAUSTED', `agent ${agentId} preempted: its budget pays for ${deadlineMs} ms of wall time`));
          });
    return {
      signal: controller.signal,
      deadlineMs,
      get preempted() {
        return preempted;
      },
      dispose() {
        cancel?.();
      },
    };
  }

  /**
   * After a run: charges its credits (settlement's `computeCredits`). The balance may go below zero
   * only by this run's overshoot. Releases the intent's reservation. Returns the new balance,
   * or null for an unlimited agent (nothing is charged).
   */
  debit(agentId: string, credits: number, intentId: string | null = null): number | null {
    if (intentId) this.reservations.delete(intentId);
    return this.spend(agentId, credits, intentId, 'debit');
  }

  /** Takes `credits` from the agent's bucket with its ledger row; null (nothing charged) when unlimited. */
  private spend(agentId: string, credits: number, intentId: string | null, kind: 'debit' | 'model_call'): number | null {
    return this.tx(() => {
      const current = this.current(agentId);
      if (!current) return null;
      const charged = Math.max(0, credits);
      const balance = current.balance - charged;
      const now = this.now();
      this.store.saveBalance(agentId, balance, now);
      this.store.ledger({ agent_id: agentId, intent_id: intentId, kind, credits: charged, balance_after: balance, at: now });
      return roundCredits(balance);
    });
  }

  /**
   * Before a model host call of a running intent (SPEC 12 "metered"): does the agent's bucket
   * hold 1 credit beyond what every admitted run, this one included, has reserved? A run's own
   * settlement costs at least its reservation, so a call may only spend what is left beyond it.
   * Nothing is reserved: the call is charged by `chargeModelCall` once it is done.
   */
  admitModelCall(agentId: string): AdmitResult {
    const current = this.current(agentId);
    if (!current) return { ok: true, unlimited: true, remaining: null };
    const available = current.balance - this.reserved(agentId);
    if (available >= ADMIT_CREDITS) return { ok: true, unlimited: false, remaining: roundCredits(available) };
    const eta = msUntil({ ...current, balance: available }, ADMIT_CREDITS);
    return { ok: false, agent: agentId, requested: ADMIT_CREDITS, remaining: roundCredits(Math.max(0, available)), refill_eta_ms: wireEta(eta) };
  }

  /** The E_BUDGET_EXHAUSTED a refused model call answers the agent with (the caller audits it). */
  modelCallRefusal(refusal: AdmitRefusal): CovenantError {
    return new CovenantError(
      'E_BUDGET_EXHAUSTED',
      `budget of agent ${refusal.agent} is exhausted (${refusal.remaining} credit(s) left beyond what its running intents reserved, ` +
        `${refusal.requested} needed): the model call is refused; it refills enough in ` +
        `${describeMs(refusal.refill_eta_ms < 0 ? Infinity : refusal.refill_eta_ms)} (refill_eta_ms ${refusal.refill_eta_ms}), ` +
        `or top up with \`covenant budget topup ${refusal.agent} <credits>\``,
    );
  }

  /**
   * A model host call's credits, debited from the agent's bucket as a `model_call` ledger row.
   * Call it inside the transaction of the call's receipt and audit row. The run's reservation
   * is kept (its own `debit` comes at settlement). Returns the new balance, or null when unlimited.
   */
  chargeModelCall(agentId: string, credits: number, intentId: string): number | null {
    return this.spend(agentId, credits, intentId, 'model_call');
  }

  /** Drops an admitted intent's reservation when it will not run after all. */
  release(intentId: string): void {
    this.reservations.delete(intentId);
  }

  /**
   * A run stopped at its budget deadline: saves the checkpoint (so it can be resumed) and
   * audits `budget_preempted`. Call after `debit`. Returns the error to answer with.
   */
  preempted(intent: PausableIntent, run: { wallMs: number; credits?: number }): CovenantError {
    const current = this.current(intent.agent);
    const remaining = roundCredits(current?.balance ?? 0);
    const eta = wireEta(current ? msUntil(current, ADMIT_CREDITS) : 0);
    const requested = run.credits ?? computeCredits(run.wallMs);
    this.tx(() => {
      this.saveCheckpoint(intent, 'preempted', requested, remaining, eta);
      this.deps.audit.append(intent.caller, { kind: 'budget_preempted', payload: {
        intent_id: intent.intentId,
        agent: intent.agent,
        wall_ms: Math.round(run.wallMs),
        requested,
        remaining,
        refill_eta_ms: eta,
      } });
    });
    return new CovenantError(
      'E_BUDGET_EXHAUSTED',
      `agent ${intent.agent} was preempted after ${Math.round(run.wallMs)} ms: its budget ran out (${remaining} credit(s) left). ` +
        `Intent ${intent.intentId} is paused; the budget refills enough in ${describeMs(eta < 0 ? Infinity : eta)} (refill_eta_ms ${eta}); ` +
        `then run \`covenant intents resume ${intent.intentId}\``,
      { audited: true },
    );
  }

  private saveCheckpoint(intent: PausableIntent, reason: PauseReason, requested: number, remaining: number, eta: number): void {
    this.store.saveCheckpoint({
      intent_id: intent.intentId,
      agent_id: intent.agent,
      caller_display: intent.caller.display,
      caller_pubkey: intent.caller.pubkey,
      text: intent.text,
      reason,
      requested,
      remaining,
      refill_eta_ms: eta,
      created_at: this.now(),
      claimed_at: null,
    });
  }

  /** Every limited agent's bucket (or one agent's), brought up to now. */
  status(agentId?: string): BudgetEntry[] {
    const counts = this.store.openCheckpointCounts();
    const rows = agentId ? [this.store.bucket(agentId)].filter((r): r is BucketRow => r !== null) : this.store.buckets();
    const out: BudgetEntry[] = [];
    for (const row of rows) {
      if (row.credits_per_hour <= 0) continue;
      const state = refill({ creditsPerHour: row.credits_per_hour, balance: row.balance, updatedAt: row.updated_at }, this.now());
      const available = { ...state, balance: state.balance - this.reserved(row.agent_id) };
      out.push({
        agent: row.agent_id,
        credits_per_hour: row.credits_per_hour,
        balance: roundCredits(state.balance),
        refill_eta_ms: wireEta(msUntil(available, ADMIT_CREDITS)),
        full_in_ms: wireEta(msUntil(state, row.credits_per_hour)),
        paused_intents: counts.get(row.agent_id) ?? 0,
        configured_by: row.configured_by,
      });
    }
    return out;
  }

  /** Agents with paused intents but no budget now (unlimited since, or removed): `budget status` must not hide them. */
  pausedWithoutBudget(agentId?: string): Array<{ agent: string; paused_intents: number }> {
    const budgeted = new Set(this.status(agentId).map((entry) => entry.agent));
    return [...this.store.openCheckpointCounts()]
      .filter(([agent]) => !budgeted.has(agent) && (agentId === undefined || agent === agentId))
      .map(([agent, paused]) => ({ agent, paused_intents: paused }))
      .sort((a, b) => a.agent.localeCompare(b.agent));
  }

  /**
   * `intents resume`: re-runs a paused intent of the caller's through `submit` (the full
   * pipeline) once its agent's budget allows. A checkpoint is claimed once, atomically; while
   * the budget is still empty the answer is `ok:false` with the ETA and the checkpoint stays
   * unclaimed.
   */
  async resume(caller: AgentId, ref: string, submit: ResumeSubmit): Promise<ResumeResult> {
    const checkpoint = ref === 'latest' ? this.store.latestOpenCheckpoint(caller.pubkey) : this.store.checkpoint(ref);
    if (!checkpoint || checkpoint.caller_pubkey !== caller.pubkey) {
      throw new CovenantError(
        'E_NOT_FOUND',
        ref === 'latest'
          ? 'you have no paused intent to resume; `covenant budget status` shows paused intents per agent'
          : `no paused intent ${ref} of yours; \`covenant intents resume latest\` resumes your newest paused intent`,
      );
    }
    if (checkpoint.claimed_at !== null) {
      throw new CovenantError(
        'E_CONFLICT',
        `intent ${checkpoint.intent_id} was already resumed (at ${checkpoint.claimed_at}); a paused intent can be resumed once`,
      );
    }
    const stillPaused = (eta: number, text: string): ResumeResult => ({
      ok: false,
      mode: 'still_paused',
      refill_eta_ms: eta,
      intent_id: checkpoint.intent_id,
      status: 'paused',
      agent: checkpoint.agent_id,
      text,
      sources: [],
      settlement: null,
    });
    const verdict = this.admit(checkpoint.agent_id, `resume-probe:${checkpoint.intent_id}`);
    this.release(`resume-probe:${checkpoint.intent_id}`);
    if (!verdict.ok) {
      this.deps.audit.append(caller, { kind: 'intent_resume_deferred', payload: {
        intent_id: checkpoint.intent_id,
        agent: checkpoint.agent_id,
        remaining: verdict.remaining,
        refill_eta_ms: verdict.refill_eta_ms,
      } });
      return stillPaused(
        verdict.refill_eta_ms,
        `budget of agent ${checkpoint.agent_id} is still empty; intent ${checkpoint.intent_id} stays paused. ` +
          `It refills enough in ${describeMs(verdict.refill_eta_ms < 0 ? Infinity : verdict.refill_eta_ms)} (refill_eta_ms ${verdict.refill_eta_ms})`,
      );
    }
    const claimed = this.tx(() => {
      if (!this.store.claim(checkpoint.intent_id, this.now())) return false;
      this.deps.audit.append(caller, { kind: 'intent_resumed', payload: { intent_id: checkpoint.intent_id, agent: checkpoint.agent_id, reason: checkpoint.reason } });
      return true;
    });
    if (!claimed) {
      throw new CovenantError('E_CONFLICT', `intent ${checkpoint.intent_id} was already resumed; a paused intent can be resumed once`);
    }
    const intent = { caller: { display: checkpoint.caller_display, pubkey: checkpoint.caller_pubkey }, text: checkpoint.text };
    let outcome: IntentOutcome;
    try {
      outcome = await submit({ ...intent, agent: checkpoint.agent_id, intentId: checkpoint.intent_id });
    } catch (error) {
      // Paused again (a concurrent run took the credit, or the run was preempted): the
      // checkpoint was re-opened by the pause, so the intent can be resumed again later.
      if (error instanceof CovenantError && error.code === 'E_BUDGET_EXHAUSTED') {
        const again = this.store.checkpoint(checkpoint.intent_id);
        if (again && again.claimed_at === null) return stillPaused(again.refill_eta_ms, error.message);
      }
      this.endRefusedResume(checkpoint.intent_id, checkpoint.agent_id, caller, error);
      throw error;
    }
    if (outcome.status === 'paused') {
      const again = this.store.checkpoint(checkpoint.intent_id);
      return { ...outcome, ok: false, mode: 'still_paused', refill_eta_ms: again?.refill_eta_ms ?? -1 };
    }
    return { ...outcome, ok: true, mode: 'resumed', refill_eta_ms: null };
  }

  /**
   * A resumed run refused before it began (the agent uninstalled, a grant revoked) leaves
   * `intent_resumed` as the intent's newest status row: without an end it would stay `running`
   * until the next start. The refusal itself is audited where it happened.
   */
  private endRefusedResume(intentId: string, agent: string, caller: AgentId, error: unknown): void {
    this.tx(() => {
      if (intentStatusOf(intentAuditRows(this.deps.db, intentId, null)) !== 'running') return;
      const code = error instanceof CovenantError ? error.code : 'E_INTERNAL';
      this.deps.audit.append(caller, { kind: 'intent_interrupted', payload: { intent_id: intentId, agent, reason: 'run_refused', code } });
    });
  }

  /**
   * At start, before any run: a resumed intent whose run the daemon did not outlive (SIGKILL,
   * power loss) still has `intent_resumed` as its newest status row, `running` forever. Each is
   * marked failed by an `intent_interrupted` row issued as its caller (so its owner's list shows
   * it). Its checkpoint stays claimed (a paused intent is resumed once) and nothing was charged:
   * a run is charged when it settles. Returns the intent ids.
   */
  failInterruptedResumes(): string[] {
    return this.tx(() => {
      const stale = listIntents(this.deps.db, { owner: null, status: 'running', limit: 100_000 });
      for (const intent of stale) {
        this.deps.audit.append(intent.caller, { kind: 'intent_interrupted', payload: { intent_id: intent.intent_id, agent: intent.agent ?? '', reason: 'daemon_stopped' } });
      }
      return stale.map((intent) => intent.intent_id);
    });
  }
}
