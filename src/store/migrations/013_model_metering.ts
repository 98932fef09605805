import type { Migration } from '../migration.js';

/**
 * Model metering (SPEC 12 "Host calls", 14, 15; docs/local-model.md "Metering"):
 * - `receipts.tokens_used`: the tokens a model call used (prompt + completion, or the embedded
 *   input's), on the call's own `compute` receipt and, summed, on its intent's dispatch receipt;
 *   NULL on every receipt that paid for no model call (all receipts written before this).
 * - `budget_ledger.kind` gains `model_call`: a model host call is debited from its agent's
 *   bucket as its own ledger row, so "one `debit` per intent" (the run) stays checkable.
 *   SQLite cannot change a CHECK constraint, so the ledger is copied into a new table.
 * - `memory_embedder`: which embedder made memory's vectors (the local one, or a provider's when
 *   `[model] embed_model` is set), so a change of embedder is detected instead of comparing
 *   vectors of two embedders. A home with embedded records was embedded by the local one.
 */
export const modelMetering: Migration = {
  version: 13,
  name: 'tokens used on receipts, model calls in the budget ledger, the embedder of memory',
  sql: `
    ALTER TABLE receipts ADD COLUMN tokens_used INTEGER CHECK (tokens_used IS NULL OR tokens_used >= 0);

    CREATE TABLE budget_ledger_v13 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      agent_id TEXT NOT NULL,
      intent_id TEXT,
      kind TEXT NOT NULL CHECK (kind IN ('debit', 'topup', 'model_call')),
      credits REAL NOT NULL,
      balance_after REAL NOT NULL,
      at INTEGER NOT NULL
    );
    INSERT INTO budget_ledger_v13 (id, agent_id, intent_id, kind, credits, balance_after, at)
      SELECT id, agent_id, intent_id, kind, credits, balance_after, at FROM budget_ledger;
    DROP TABLE budget_ledger;
    ALTER TABLE budget_ledger_v13 RENAME TO budget_ledger;
    CREATE INDEX budget_ledger_agent ON budget_ledger(agent_id, at);
    CREATE INDEX budget_ledger_intent ON budget_ledger(intent_id);

    CREATE TABLE memory_embedder (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      embedder TEXT NOT NULL,
      dims INTEGER NOT NULL CHECK (dims > 0),
      bound_at INTEGER NOT NULL
    );
    INSERT INTO memory_embedder (id, embedder, dims, bound_at)
      SELECT 1, 'local-hash-v1-256', 256, 0 WHERE EXISTS (SELECT 1 FROM memory_records WHERE length(embedding) > 0);
  `,
};
