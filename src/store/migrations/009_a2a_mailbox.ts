import type { Migration } from '../migration.js';

/**
 * The A2A mailbox (SPEC 10, docs/a2a.md):
 *
 * - `a2a_tasks`: one row per task, its queue state, its current lease and its result.
 *   `recipient_key` is what a recipient is matched by: a peer's pubkey, or `<id>@agent` for an
 *   installed agent. An idempotency key is unique per (sender, recipient, task kind).
 * - `a2a_task_events`: every state change of a task, in order (the durable log a subscriber
 *   replays). Rows go with their task on `a2a compact`.
 */
export const a2aMailbox: Migration = {
  version: 9,
  name: 'a2a mailbox',
  sql: `
    CREATE TABLE a2a_tasks (
      id TEXT PRIMARY KEY,
      sender_display TEXT NOT NULL,
      sender_pubkey TEXT NOT NULL,
      sender_transport TEXT NOT NULL CHECK (sender_transport IN ('ipc', 'http')),
      recipient TEXT NOT NULL,
      recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('peer', 'agent')),
      recipient_key TEXT NOT NULL,
      intent_text TEXT NOT NULL,
      task_kind TEXT,
      parent TEXT,
      deadline_ms INTEGER,
      idempotency_key TEXT,
      created_at INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued', 'in_flight', 'result_pending', 'done', 'canceled')),
      lease_id TEXT,
      leased_to TEXT,
      leased_at_ms INTEGER,
      attempt INTEGER NOT NULL DEFAULT 0,
      receipt_id TEXT,
      result_status TEXT CHECK (result_status IN ('ok', 'error', 'partial')),
      result_content TEXT,
      error_message TEXT,
      completed_at INTEGER,
      drained_at INTEGER,
      updated_at INTEGER NOT NULL
    );
    CREATE UNIQUE INDEX a2a_tasks_idempotency ON a2a_tasks(sender_pubkey, recipient_key, coalesce(task_kind, ''), idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX a2a_tasks_inbox ON a2a_tasks(recipient_key, state, created_at);
    CREATE INDEX a2a_tasks_outbox ON a2a_tasks(sender_pubkey, state, completed_at);
    CREATE INDEX a2a_tasks_state ON a2a_tasks(state, leased_at_ms);

    CREATE TABLE a2a_task_events (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      task_id TEXT NOT NULL,
      state TEXT NOT NULL,
      at_ms INTEGER NOT NULL
    );
    CREATE INDEX a2a_task_events_task ON a2a_task_events(task_id, seq);
  `,
};
