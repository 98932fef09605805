import { statement, type Db } from '../store/index.js';
import type { A2aContent, A2aTaskState } from '../protocol/index.js';
import type { TaskRow } from './task-rows.js';

/** A new task's row: everything but its queue state. */
export type NewTaskRow = Pick<
  TaskRow,
  | 'id' | 'sender_display' | 'sender_pubkey' | 'sender_transport' | 'recipient' | 'recipient_kind' | 'recipient_key'
  | 'intent_text' | 'task_kind' | 'parent' | 'deadline_ms' | 'idempotency_key' | 'created_at'
>;

export interface TaskListQuery {
  /** Tasks this pubkey sent or receives; null: every task. */
  party: string | null;
  state?: A2aTaskState | undefined;
  /** Only leases at least this old (in_flight tasks). */
  leasedBefore?: number | undefined;
  limit: number;
}

export interface SentQuery {
  senderPubkey: string;
  states?: readonly A2aTaskState[] | undefined;
  resultStatuses?: ReadonlyArray<'ok' | 'error' | 'partial'> | undefined;
  /** Only this task (A2A's contextId: each mailbox task is its own context). */
  id?: string | undefined;
  /** Only tasks whose state last changed at or after this time (epoch ms). */
  updatedSince?: number | undefined;
  limit: number;
  offset: number;
}

/**
 * The SQL of the mailbox. Every write here runs inside the caller's transaction, which also
 * writes the change's audit row (MailboxService). Each state change appends to `a2a_task_events`.
 */
export class TaskStore {
  constructor(private readonly db: Db) {}

  get(id: string): TaskRow | null {
    return (statement(this.db, 'SELECT * FROM a2a_tasks WHERE id = ?').get(id) as TaskRow | undefined) ?? null;
  }

  byIdempotencyKey(senderPubkey: string, recipientKey: string, taskKind: string | null, key: string): TaskRow | null {
    const row = statement(
      this.db,
      `SELECT * FROM a2a_tasks WHERE sender_pubkey = ? AND recipient_key = ? AND coalesce(task_kind, '') = ? AND idempotency_key = ?`,
    ).get(senderPubkey, recipientKey, taskKind ?? '', key) as TaskRow | undefined;
    return row ?? null;
  }

  insert(task: NewTaskRow): void {
    statement(
      this.db,
      `INSERT INTO a2a_tasks (id, sender_display, sender_pubkey, sender_transport, recipient, recipient_kind, recipient_key, intent_text,
         task_kind, parent, deadline_ms, idempotency_key, created_at, state, attempt, updated_at)
       VALUES (@id, @sender_display, @sender_pubkey, @sender_transport, @recipient, @recipient_kind, @recipient_key, @intent_text,
         @task_kind, @parent, @deadline_ms, @idempotency_key, @created_at, 'queued', 0, @created_at)`,
    ).run(task);
    this.event(task.id, 'queued', task.created_at);
  }

  /** The oldest queued task of a recipient. */
  nextQueued(recipientKey: string): TaskRow | null {
    const row = statement(this.db, `SELECT * FROM a2a_tasks WHERE recipient_key = ? AND state = 'queued' ORDER BY created_at, rowid LIMIT 1`).get(recipientKey);
    return (row as TaskRow | undefined) ?? null;
  }

  /** Queued tasks addressed to installed agents, oldest first. */
  queuedForAgents(limit: number): TaskRow[] {
    return statement(this.db, `SELECT * FROM a2a_tasks WHERE recipient_kind = 'agent' AND state = 'queued' ORDER BY created_at, rowid LIMIT ?`).all(limit) as TaskRow[];
  }

  /** Queued tasks addressed to remote daemons, oldest first. */
  queuedForRemotes(limit: number): TaskRow[] {
    return statement(this.db, `SELECT * FROM a2a_tasks WHERE recipient_kind = 'remote' AND state = 'queued' ORDER BY created_at, rowid LIMIT ?`).all(limit) as TaskRow[];
  }

  /** Tasks for remote daemons whose delivery was under way (leased) when the daemon stopped. */
  inFlightForRemotes(): TaskRow[] {
    return statement(this.db, `SELECT * FROM a2a_tasks WHERE recipient_kind = 'remote' AND state = 'in_flight' ORDER BY leased_at_ms, rowid`).all() as TaskRow[];
  }

  /** Unfinished tasks (queued or in flight) for one remote daemon. */
  openForRemote(keyPrefix: string): TaskRow[] {
    return statement(this.db, `SELECT * FROM a2a_tasks WHERE recipient_kind = 'remote' AND state IN ('queued', 'in_flight') AND substr(recipient_key, 1, ?) = ?`)
      .all(keyPrefix.length, keyPrefix) as TaskRow[];
  }

  setReceipt(id: string, receiptId: string): void {
    statement(this.db, 'UPDATE a2a_tasks SET receipt_id = ? WHERE id = ? AND receipt_id IS NULL').run(receiptId, id);
  }

  lease(id: string, leaseId: string, leasedTo: string, now: number, receiptId: string | null): void {
    statement(
      this.db,
      `UPDATE a2a_tasks SET state = 'in_flight', lease_id = ?, leased_to = ?, leased_at_ms = ?, attempt = attempt + 1,
         receipt_id = coalesce(receipt_id, ?), updated_at = ? WHERE id = ? AND state = 'queued'`,
    ).run(leaseId, leasedTo, now, receiptId, now, id);
    this.event(id, 'in_flight', now);
  }

  complete(id: string, result: { status: 'ok' | 'error' | 'partial'; content: A2aContent[]; errorMessage: string | null }, now: number): void {
    statement(
      this.db,
      `UPDATE a2a_tasks SET state = 'result_pending', result_status = ?, result_content = ?, error_message = ?, completed_at = ?,
         lease_id = NULL, updated_at = ? WHERE id = ?`,
    ).run(result.status, JSON.stringify(result.content), result.errorMessage, now, now, id);
    this.event(id, 'result_pending', now);
  }

  requeue(id: string, now: number): void {
    statement(this.db, `UPDATE a2a_tasks SET state = 'queued', lease_id = NULL, leased_to = NULL, leased_at_ms = NULL, updated_at = ? WHERE id = ?`).run(now, id);
    this.event(id, 'queued', now);
  }

  cancel(id: string, now: number): void {
    statement(this.db, `UPDATE a2a_tasks SET state = 'canceled', lease_id = NULL, completed_at = ?, updated_at = ? WHERE id = ?`).run(now, now, id);
    this.event(id, 'canceled', now);
  }

  /** Results waiting for their sender, oldest first. */
  pendingResults(senderPubkey: string, limit: number): TaskRow[] {
    return statement(this.db, `SELECT * FROM a2a_tasks WHERE sender_pubkey = ? AND state = 'result_pending' ORDER BY completed_at, rowid LIMIT ?`)
      .all(senderPubkey, limit) as TaskRow[];
  }

  markDrained(ids: readonly string[], now: number): void {
    const update = statement(this.db, `UPDATE a2a_tasks SET state = 'done', drained_at = ?, updated_at = ? WHERE id = ? AND state = 'result_pending'`);
    for (const id of ids) {
      update.run(now, now, id);
      this.event(id, 'done', now);
    }
  }

  list(query: TaskListQuery): TaskRow[] {
    const { clause, args } = where(query);
    return statement(this.db, `SELECT * FROM a2a_tasks ${clause} ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(...args, query.limit) as TaskRow[];
  }

  counts(party: string | null): Record<A2aTaskState, number> {
    const { clause, args } = where({ party, limit: 0 });
    const rows = statement(this.db, `SELECT state, count(*) AS n FROM a2a_tasks ${clause} GROUP BY state`).all(...args) as Array<{ state: A2aTaskState; n: number }>;
    const counts: Record<A2aTaskState, number> = { queued: 0, in_flight: 0, result_pending: 0, done: 0, canceled: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  /** In-flight tasks leased at or before `leasedBefore`, oldest lease first. */
  staleLeases(leasedBefore: number, limit: number): TaskRow[] {
    return statement(this.db, `SELECT * FROM a2a_tasks WHERE state = 'in_flight' AND leased_at_ms <= ? ORDER BY leased_at_ms, rowid LIMIT ?`)
      .all(leasedBefore, limit) as TaskRow[];
  }

  /** Queued tasks whose deadline has passed. */
  expired(now: number, limit: number): TaskRow[] {
    return statement(this.db, `SELECT * FROM a2a_tasks WHERE state = 'queued' AND deadline_ms IS NOT NULL AND deadline_ms < ? LIMIT ?`).all(now, limit) as TaskRow[];
  }

  drainedIds(): string[] {
    return statement(this.db, `SELECT id FROM a2a_tasks WHERE state = 'done' ORDER BY id`).pluck().all() as string[];
  }

  remove(ids: readonly string[]): void {
    const task = statement(this.db, 'DELETE FROM a2a_tasks WHERE id = ?');
    const events = statement(this.db, 'DELETE FROM a2a_task_events WHERE task_id = ?');
    const outbox = statement(this.db, 'DELETE FROM a2a_outbox WHERE task_id = ?');
    for (const id of ids) {
      task.run(id);
      events.run(id);
      outbox.run(id);
    }
  }

  /** The newest task `senderPubkey` sent under idempotency key `key`, to any recipient. */
  bySenderKey(senderPubkey: string, key: string): TaskRow | null {
    const row = statement(this.db, `SELECT * FROM a2a_tasks WHERE sender_pubkey = ? AND idempotency_key = ? ORDER BY created_at DESC, rowid DESC LIMIT 1`).get(senderPubkey, key);
    return (row as TaskRow | undefined) ?? null;
  }

  /** One page of the tasks `senderPubkey` sent, newest first, optionally only some states / result statuses, and how many there are. */
  sentBy(query: SentQuery): { rows: TaskRow[]; total: number } {
    const parts = ['sender_pubkey = ?'];
    const args: unknown[] = [query.senderPubkey];
    if (query.states) {
      parts.push(`state IN (${query.states.map(() => '?').join(', ')})`);
      args.push(...query.states);
    }
    if (query.resultStatuses) {
      parts.push(`result_status IN (${query.resultStatuses.map(() => '?').join(', ')})`);
      args.push(...query.resultStatuses);
    }
    if (query.id !== undefined) {
      parts.push('id = ?');
      args.push(query.id);
    }
    if (query.updatedSince !== undefined) {
      parts.push('updated_at >= ?');
      args.push(query.updatedSince);
    }
    const clause = parts.join(' AND ');
    const total = statement(this.db, `SELECT count(*) FROM a2a_tasks WHERE ${clause}`).pluck().get(...args) as number;
    const rows = statement(this.db, `SELECT * FROM a2a_tasks WHERE ${clause} ORDER BY created_at DESC, rowid DESC LIMIT ? OFFSET ?`)
      .all(...args, query.limit, query.offset) as TaskRow[];
    return { rows, total };
  }

  /** A task's state changes, in order, after `afterSeq` (the durable log a subscriber replays). */
  events(taskId: string, afterSeq = 0): Array<{ seq: number; state: A2aTaskState; at_ms: number }> {
    return statement(this.db, 'SELECT seq, state, at_ms FROM a2a_task_events WHERE task_id = ? AND seq > ? ORDER BY seq').all(taskId, afterSeq) as Array<{
      seq: number;
      state: A2aTaskState;
      at_ms: number;
    }>;
  }

  private event(taskId: string, state: A2aTaskState, now: number): void {
    statement(this.db, 'INSERT INTO a2a_task_events (task_id, state, at_ms) VALUES (?, ?, ?)').run(taskId, state, now);
  }
}

function where(query: Omit<TaskListQuery, 'limit'> & { limit: number }): { clause: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (query.party !== null) {
    parts.push('(sender_pubkey = ? OR recipient_key = ?)');
    args.push(query.party, query.party);
  }
  if (query.state !== undefined) {
    parts.push('state = ?');
    args.push(query.state);
  }
  if (query.leasedBefore !== undefined) {
    parts.push(`state = 'in_flight' AND leased_at_ms <= ?`);
    args.push(query.leasedBefore);
  }
  return { clause: parts.length > 0 ? `WHERE ${parts.join(' AND ')}` : '', args };
}
