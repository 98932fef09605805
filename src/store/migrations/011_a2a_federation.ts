import type { Migration } from '../migration.js';

/**
 * Federation between daemons (SPEC 10, docs/a2a.md "Federation"):
 *
 * - `a2a_remotes`: registered remote daemons, the card key pinned at `remotes add` (trust on
 *   first use unless given) and the outcome of the latest check. The bearer token is not here:
 *   it is a 0600 file under `$COVENANT_HOME/remotes/`; only its 6-character prefix is stored.
 * - `a2a_tasks` is rebuilt so `recipient_kind` admits `remote` (a SQLite CHECK cannot be
 *   altered in place); every row and index is kept.
 * - `a2a_outbox`: per task for a remote, where its delivery stands: the remote and the recipient
 *   there, the remote's task id once it accepted the message, and the last delivery error.
 */
export const a2aFederation: Migration = {
  version: 11,
  name: 'a2a federation',
  sql: `
    CREATE TABLE a2a_remotes (
      name TEXT PRIMARY KEY,
      url TEXT NOT NULL,
      card_pubkey TEXT NOT NULL,
      pinned_by TEXT NOT NULL CHECK (pinned_by IN ('first_use', 'operator')),
      token_prefix TEXT NOT NULL,
      added_at INTEGER NOT NULL,
      checked_at INTEGER,
      check_outcome TEXT
    );

    CREATE TABLE a2a_tasks_v11 (
      id TEXT PRIMARY KEY,
      sender_display TEXT NOT NULL,
      sender_pubkey TEXT NOT NULL,
      sender_transport TEXT NOT NULL CHECK (sender_transport IN ('ipc', 'http')),
      recipient TEXT NOT NULL,
      recipient_kind TEXT NOT NULL CHECK (recipient_kind IN ('peer', 'agent', 'remote')),
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
    INSERT INTO a2a_tasks_v11 SELECT id, sender_display, sender_pubkey, sender_transport, recipient, recipient_kind, recipient_key,
      intent_text, task_kind, parent, deadline_ms, idempotency_key, created_at, state, lease_id, leased_to, leased_at_ms, attempt,
      receipt_id, result_status, result_content, error_message, completed_at, drained_at, updated_at FROM a2a_tasks;
    DROP TABLE a2a_tasks;
    ALTER TABLE a2a_tasks_v11 RENAME TO a2a_tasks;
    CREATE UNIQUE INDEX a2a_tasks_idempotency ON a2a_tasks(sender_pubkey, recipient_key, coalesce(task_kind, ''), idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    CREATE INDEX a2a_tasks_inbox ON a2a_tasks(recipient_key, state, created_at);
    CREATE INDEX a2a_tasks_outbox ON a2a_tasks(sender_pubkey, state, completed_at);
    CREATE INDEX a2a_tasks_state ON a2a_tasks(state, leased_at_ms);
    CREATE INDEX a2a_tasks_kind_state ON a2a_tasks(recipient_kind, state, created_at);

    CREATE TABLE a2a_outbox (
      task_id TEXT PRIMARY KEY,
      remote TEXT NOT NULL,
      remote_recipient TEXT NOT NULL,
      remote_task_id TEXT,
      accepted_at INTEGER,
      last_error TEXT,
      updated_at INTEGER NOT NULL
    );
  `,
};
