import type { Migration } from '../migration.js';

/**
 * Budgets (SPEC 14, src/budget, docs/budgets.md): one token bucket per limited agent, a ledger
 * of debits and top-ups, and paused-intent checkpoints. A checkpoint keeps the caller's intent
 * text so the owner can resume it; the text lives only here, never in the audit log.
 */
export const budget: Migration = {
  version: 4,
  name: 'budget buckets, ledger, paused-intent checkpoints',
  sql: `
    CREATE TABLE budget_buckets (
      agent_id TEXT PRIMARY KEY,
      credits_per_hour INTEGER NOT NULL CHECK (credits_per_hour >= 0),
      balance REAL NOT NULL,
      updated_at INTEGER NOT NULL,
      configured_by TEXT NOT NULL CHECK (configured_by IN ('manifest', 'operator'))
    );

    CREATE TABLE budget_ledger (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      agent_id TEXT NOT NULL,
      intent_id TEXT,
      kind TEXT NOT NULL CHECK (kind IN ('debit', 'topup')),
      credits REAL NOT NULL,
      balance_after REAL NOT NULL,
      at INTEGER NOT NULL
    );
    CREATE INDEX budget_ledger_agent ON budget_ledger(agent_id, at);
    CREATE INDEX budget_ledger_intent ON budget_ledger(intent_id);

    CREATE TABLE budget_checkpoints (
      intent_id TEXT PRIMARY KEY,
      agent_id TEXT NOT NULL,
      caller_display TEXT NOT NULL,
      caller_pubkey TEXT NOT NULL,
      text TEXT NOT NULL,
      reason TEXT NOT NULL CHECK (reason IN ('exhausted', 'preempted')),
      requested REAL NOT NULL,
      remaining REAL NOT NULL,
      refill_eta_ms INTEGER NOT NULL,
      created_at INTEGER NOT NULL,
      claimed_at INTEGER
    );
    CREATE INDEX budget_checkpoints_caller ON budget_checkpoints(caller_pubkey, claimed_at, created_at);
    CREATE INDEX budget_checkpoints_agent ON budget_checkpoints(agent_id, claimed_at);
  `,
};
