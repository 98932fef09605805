import { statement, type Db } from '../store/index.js';

/** Where the delivery of one task to a remote stands (`a2a_outbox`). */
export interface OutboxRow {
  task_id: string;
  remote: string;
  remote_recipient: string;
  remote_task_id: string | null;
  accepted_at: number | null;
  last_error: string | null;
  updated_at: number;
}

/** The SQL of the federation outbox; writes run inside the caller's transaction when it has one. */
export class OutboxStore {
  constructor(private readonly db: Db) {}

  get(taskId: string): OutboxRow | null {
    return (statement(this.db, 'SELECT * FROM a2a_outbox WHERE task_id = ?').get(taskId) as OutboxRow | undefined) ?? null;
  }

  /** The row of a task about to be delivered (kept as it is when it exists: a resumed delivery). */
  ensure(taskId: string, remote: string, remoteRecipient: string, now: number): OutboxRow {
    statement(this.db, 'INSERT OR IGNORE INTO a2a_outbox (task_id, remote, remote_recipient, updated_at) VALUES (?, ?, ?, ?)').run(taskId, remote, remoteRecipient, now);
    return this.get(taskId)!;
  }

  accepted(taskId: string, remoteTaskId: string, now: number): void {
    statement(this.db, 'UPDATE a2a_outbox SET remote_task_id = ?, accepted_at = ?, last_error = NULL, updated_at = ? WHERE task_id = ?').run(remoteTaskId, now, now, taskId);
  }

  failedAttempt(taskId: string, error: string, now: number): void {
    statement(this.db, 'UPDATE a2a_outbox SET last_error = ?, updated_at = ? WHERE task_id = ?').run(error, now, taskId);
  }
}
