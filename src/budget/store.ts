import { statement, type Db } from '../store/index.js';

export type BudgetSource = 'manifest' | 'operator';
export type PauseReason = 'exhausted' | 'preempted';

export interface BucketRow {
  agent_id: string;
  credits_per_hour: number;
  balance: number;
  updated_at: number;
  configured_by: BudgetSource;
}

export interface CheckpointRow {
  intent_id: string;
  agent_id: string;
  caller_display: string;
  caller_pubkey: string;
  /** The caller's own intent text, needed to re-run it. Stored here only; never audited. */
  text: string;
  reason: PauseReason;
  requested: number;
  remaining: number;
  refill_eta_ms: number;
  created_at: number;
  claimed_at: number | null;
}

/** SQL for the budget tables (migration `budget`). One repository, no logic; statements prepared once (dispatch reads a bucket per intent). */
export class BudgetStore {
  constructor(private readonly db: Db) {}

  bucket(agentId: string): BucketRow | null {
    return (statement(this.db, 'SELECT * FROM budget_buckets WHERE agent_id = ?').get(agentId) as BucketRow | undefined) ?? null;
  }

  buckets(): BucketRow[] {
    return statement(this.db, 'SELECT * FROM budget_buckets ORDER BY agent_id').all() as BucketRow[];
  }

  upsertBucket(row: BucketRow): void {
    statement(
      this.db,
      `INSERT INTO budget_buckets (agent_id, credits_per_hour, balance, updated_at, configured_by)
         VALUES (@agent_id, @credits_per_hour, @balance, @updated_at, @configured_by)
         ON CONFLICT(agent_id) DO UPDATE SET credits_per_hour = excluded.credits_per_hour, balance = excluded.balance,
           updated_at = excluded.updated_at, configured_by = excluded.configured_by`,
    ).run(row);
  }

  saveBalance(agentId: string, balance: number, updatedAt: number): void {
    statement(this.db, 'UPDATE budget_buckets SET balance = ?, updated_at = ? WHERE agent_id = ?').run(balance, updatedAt, agentId);
  }

  deleteBucket(agentId: string): void {
    statement(this.db, 'DELETE FROM budget_buckets WHERE agent_id = ?').run(agentId);
  }

  ledger(entry: { agent_id: string; intent_id: string | null; kind: 'debit' | 'topup' | 'model_call'; credits: number; balance_after: number; at: number }): void {
    statement(
      this.db,
      `INSERT INTO budget_ledger (agent_id, intent_id, kind, credits, balance_after, at)
         VALUES (@agent_id, @intent_id, @kind, @credits, @balance_after, @at)`,
    ).run(entry);
  }

  /**
   * Saves a checkpoint. Pausing an intent that was resumed (claimed) re-opens its checkpoint:
   * the intent is paused again and can be resumed again.
   */
  saveCheckpoint(row: CheckpointRow): void {
    statement(
      this.db,
      `INSERT INTO budget_checkpoints
           (intent_id, agent_id, caller_display, caller_pubkey, text, reason, requested, remaining, refill_eta_ms, created_at, claimed_at)
         VALUES (@intent_id, @agent_id, @caller_display, @caller_pubkey, @text, @reason, @requested, @remaining, @refill_eta_ms, @created_at, NULL)
         ON CONFLICT(intent_id) DO UPDATE SET reason = excluded.reason, requested = excluded.requested,
           remaining = excluded.remaining, refill_eta_ms = excluded.refill_eta_ms, created_at = excluded.created_at, claimed_at = NULL
         WHERE budget_checkpoints.caller_pubkey = excluded.caller_pubkey`,
    ).run(row);
  }

  checkpoint(intentId: string): CheckpointRow | null {
    return (statement(this.db, 'SELECT * FROM budget_checkpoints WHERE intent_id = ?').get(intentId) as CheckpointRow | undefined) ?? null;
  }

  /** The caller's newest unclaimed checkpoint. */
  latestOpenCheckpoint(callerPubkey: string): CheckpointRow | null {
    return (
      (statement(this.db, 'SELECT * FROM budget_checkpoints WHERE caller_pubkey = ? AND claimed_at IS NULL ORDER BY created_at DESC, rowid DESC LIMIT 1')
        .get(callerPubkey) as CheckpointRow | undefined) ?? null
    );
  }

  /** Claims a checkpoint atomically: true for exactly one caller, however many race. */
  claim(intentId: string, now: number): boolean {
    return statement(this.db, 'UPDATE budget_checkpoints SET claimed_at = ? WHERE intent_id = ? AND claimed_at IS NULL').run(now, intentId).changes === 1;
  }

  openCheckpointCounts(): Map<string, number> {
    const sql = 'SELECT agent_id, COUNT(*) AS n FROM budget_checkpoints WHERE claimed_at IS NULL GROUP BY agent_id';
    const rows = statement(this.db, sql).all() as Array<{ agent_id: string; n: number }>;
    return new Map(rows.map((r) => [r.agent_id, r.n]));
  }
}
