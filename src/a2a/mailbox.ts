/**
 * The durable A2A mailbox (SPEC 10, docs/a2a.md). Every state change is one SQLite transaction
 * that also writes its audit row (and, on a task's first delivery, its `message` receipt);
 * waiters are woken only after it commits. A lease is written before the task is handed out.
 */
import type { AuditLog, NewAuditEvent } from '../audit/index.js';
import { CovenantError, newId, sha256Hex, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import {
  A2A_DEFAULT_MAX_ATTEMPTS,
  A2A_DEFAULT_STALE_LEASE_MS,
  A2A_MAX_LIMIT,
  type A2aContent,
  type A2aTaskState,
  type RetryStalePolicy,
} from '../protocol/index.js';
import { Receipts } from '../settlement/index.js';
import { readState, writeState, type Db } from '../store/index.js';
import type { Recipient } from './recipients.js';
import type { TaskRow } from './task-rows.js';
import { TaskStore } from './task-store.js';
import { longPoll, Wakeups } from './wakeups.js';

export interface MailboxDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  /** The daemon's identity: issuer of the rows the daemon writes by itself (agents, deadlines, retry-stale). */
  daemon: AgentId;
}

export interface SendInput {
  sender: AgentId;
  transport: 'ipc' | 'http';
  recipient: Recipient;
  text: string;
  taskKind?: string | undefined;
  parent?: string | undefined;
  deadlineMs?: number | undefined;
  idempotencyKey?: string | undefined;
}

export interface ResultInput {
  status: 'ok' | 'error' | 'partial';
  content: A2aContent[];
  errorMessage?: string | undefined;
}

/** Credits a delivered message costs its sender (one `message` receipt per task). */
export const MESSAGE_CREDITS = 1;
const RETRY_STALE_KEY = 'a2a.retry_stale';
/** Results inbox of a sender, for the wake-ups. */
const resultsKey = (senderPubkey: string) => `results:${senderPubkey}`;
/** Every change of one task, for subscribers. */
export const taskKey = (taskId: string) => `task:${taskId}`;
/** Queued work for installed agents. */
export const AGENTS_KEY = 'agents';

function rejected(code: 'E_NOT_FOUND' | 'E_FORBIDDEN' | 'E_CONFLICT', message: string, taskId: string, reason: string): CovenantError {
  return new CovenantError(code, message, { auditEvent: { kind: 'a2a_result_rejected', payload: { task_id: taskId, reason } } });
}

export class MailboxService {
  readonly store: TaskStore;
  readonly wakeups = new Wakeups();
  private readonly receipts: Receipts;

  constructor(private readonly deps: MailboxDeps) {
    this.store = new TaskStore(deps.db);
    this.receipts = new Receipts(deps.db);
  }

  get(id: string): TaskRow | null {
    return this.store.get(id);
  }

  // ------------------------------------------------------------------------ send

  /** Queues a task (admission was checked by the caller), or answers the task an idempotency key already made. */
  send(input: SendInput): { replayed: boolean; task: TaskRow } {
    const now = this.deps.clock.now();
    const outcome = this.deps.db.transaction(() => {
      const key = input.idempotencyKey;
      if (key !== undefined) {
        const existing = this.store.byIdempotencyKey(input.sender.pubkey, input.recipient.key, input.taskKind ?? null, key);
        if (existing) {
          this.append(input.sender, { kind: 'a2a_task_replayed', payload: { task_id: existing.id, recipient: existing.recipient, state: existing.state } });
          return { replayed: true, task: existing };
        }
      }
      const id = newId();
      this.store.insert({
        id,
        sender_display: input.sender.display,
        sender_pubkey: input.sender.pubkey,
        sender_transport: input.transport,
        recipient: input.recipient.display,
        recipient_kind: input.recipient.kind,
        recipient_key: input.recipient.key,
        intent_text: input.text,
        task_kind: input.taskKind ?? null,
        parent: input.parent ?? null,
        deadline_ms: input.deadlineMs ?? null,
        idempotency_key: key ?? null,
        created_at: now,
      });
      this.append(input.sender, {
        kind: 'a2a_task_queued',
        payload: {
          task_id: id,
          recipient: input.recipient.display,
          recipient_kind: input.recipient.kind,
          task_kind: input.taskKind ?? null,
          idempotency_key_sha256: key === undefined ? null : sha256Hex(key),
          text_bytes: Buffer.byteLength(input.text),
          text_sha256: sha256Hex(input.text),
        },
      });
      return { replayed: false, task: this.store.get(id)! };
    })();
    if (!outcome.replayed) this.changed(outcome.task);
    return outcome;
  }

  // ------------------------------------------------------------------------ lease

  /**
   * Leases the oldest queued task of `recipientKey` to `leasedTo`: the lease (and, on the first
   * delivery, the sender's `message` receipt) is committed before the task is returned.
   * Queued tasks past their deadline are failed first.
   */
  lease(recipientKey: string, leasedTo: string, issuer: AgentId): TaskRow | null {
    this.expireDeadlines();
    const now = this.deps.clock.now();
    const leased = this.deps.db.transaction(() => {
      const task = this.store.nextQueued(recipientKey);
      if (!task) return null;
      const leaseId = newId();
      let receiptId: string | null = null;
      if (task.receipt_id === null) {
        receiptId = newId();
        this.receipts.insert({
          id: receiptId,
          payer: task.sender_pubkey,
          resource: 'message',
          status: 'ok',
          credits_consumed: MESSAGE_CREDITS,
          settled_at: now,
          intent_id: task.id,
          memory_record_id: null,
          failure_reason: null,
        });
      }
      this.store.lease(task.id, leaseId, leasedTo, now, receiptId);
      this.append(issuer, {
        kind: 'a2a_task_leased',
        payload: { task_id: task.id, lease_id: leaseId, leased_to: leasedTo, attempt: task.attempt + 1, receipt_id: receiptId },
      });
      return this.store.get(task.id)!;
    })();
    if (leased) this.changed(leased);
    return leased;
  }

  /** `a2a recv`: the next task of a recipient, waiting up to `waitMs` for one to be queued. */
  recv(recipient: AgentId, waitMs: number, signal?: AbortSignal): Promise<TaskRow | null> {
    return longPoll(this.wakeups, recipient.pubkey, waitMs, signal, () => this.lease(recipient.pubkey, recipient.pubkey, recipient));
  }

  // ------------------------------------------------------------------------ results

  /**
   * Writes the result of an in-flight task. `by` must hold its lease (for a peer recipient, its
   * pubkey; for an agent, `<id>@agent`); a given `leaseId` must be the current one.
   */
  respond(taskId: string, by: { leasedTo: string; issuer: AgentId }, result: ResultInput, leaseId?: string): TaskRow {
    const done = this.deps.db.transaction(() => {
      const task = this.requireRespondable(taskId, by.leasedTo, leaseId);
      this.writeResult(task, result, by.issuer, by.issuer.display);
      return this.store.get(taskId)!;
    })();
    this.changed(done);
    return done;
  }

  /** Checks that a result may be written now (used before the capability check, and again inside the write). */
  requireRespondable(taskId: string, leasedTo: string, leaseId?: string): TaskRow {
    const task = this.store.get(taskId);
    if (!task || (task.leased_to !== leasedTo && task.recipient_key !== leasedTo)) {
      throw rejected('E_NOT_FOUND', `no task ${taskId} addressed to you; see covenant a2a status`, taskId, 'unknown_task');
    }
    if (task.state !== 'in_flight' || task.leased_to !== leasedTo) {
      throw rejected('E_CONFLICT', `task ${taskId} is ${task.state}, not leased to you; only the holder of its lease may respond`, taskId, `state_${task.state}`);
    }
    if (leaseId !== undefined && leaseId !== task.lease_id) throw this.leaseMismatch(task, 'respond');
    return task;
  }

  private writeResult(task: TaskRow, result: ResultInput, issuer: AgentId, by: string): void {
    const leaseId = task.lease_id;
    this.store.complete(task.id, { status: result.status, content: result.content, errorMessage: result.errorMessage ?? null }, this.deps.clock.now());
    this.append(issuer, {
      kind: 'a2a_result_written',
      payload: { task_id: task.id, status: result.status, lease_id: leaseId, by, content_sha256: sha256Hex(JSON.stringify(result.content)) },
    });
  }

  /** `a2a results`: hands the sender its pending results once (they become `done`), waiting up to `waitMs` for one. */
  async drainResults(sender: AgentId, limit: number, waitMs: number, signal?: AbortSignal): Promise<TaskRow[]> {
    const drained = await longPoll(this.wakeups, resultsKey(sender.pubkey), waitMs, signal, () => {
      const rows = this.deps.db.transaction(() => {
        const pending = this.store.pendingResults(sender.pubkey, Math.min(limit, A2A_MAX_LIMIT));
        if (pending.length === 0) return null;
        const ids = pending.map((row) => row.id);
        this.store.markDrained(ids, this.deps.clock.now());
        this.append(sender, { kind: 'a2a_results_drained', payload: { task_ids: ids } });
        return pending;
      })();
      return rows;
    });
    for (const row of drained ?? []) this.wakeups.notify(taskKey(row.id));
    return drained ?? [];
  }

  // ------------------------------------------------------------------------ cancel and repair

  /** Cancels a task its sender has no result for yet (queued or in flight). */
  cancel(taskId: string, caller: AgentId): { previous: A2aTaskState; task: TaskRow } {
    const outcome = this.deps.db.transaction(() => {
      const task = this.store.get(taskId);
      if (!task || task.sender_pubkey !== caller.pubkey) {
        throw new CovenantError('E_NOT_FOUND', `no task ${taskId} sent by you; see covenant a2a status`);
      }
      if (task.state !== 'queued' && task.state !== 'in_flight') {
        throw new CovenantError('E_CONFLICT', `task ${taskId} is ${task.state}; only a queued or in-flight task can be canceled`);
      }
      this.store.cancel(taskId, this.deps.clock.now());
      this.append(caller, { kind: 'a2a_task_canceled', payload: { task_id: taskId, previous_state: task.state } });
      return { previous: task.state, task: this.store.get(taskId)! };
    })();
    this.changed(outcome.task);
    return outcome;
  }

  /** The stale-lease guard: requeue a leased task only under its current lease id. */
  requeue(taskId: string, leaseId: string, reason: string, by: AgentId): TaskRow {
    const task = this.deps.db.transaction(() => {
      const current = this.leasedTask(taskId, leaseId, 'requeue');
      this.store.requeue(taskId, this.deps.clock.now());
      this.append(by, { kind: 'a2a_task_requeued', payload: { task_id: taskId, lease_id: leaseId, reason, attempt: current.attempt, by: by.display } });
      return this.store.get(taskId)!;
    })();
    this.changed(task);
    return task;
  }

  /** The stale-lease guard: fail a leased task only under its current lease id. */
  forceError(taskId: string, leaseId: string, reason: string, message: string, by: AgentId): TaskRow {
    const task = this.deps.db.transaction(() => {
      const current = this.leasedTask(taskId, leaseId, 'force_error');
      this.forceErrorIn(current, reason, message, by);
      return this.store.get(taskId)!;
    })();
    this.changed(task);
    return task;
  }

  private forceErrorIn(task: TaskRow, reason: string, message: string, by: AgentId): void {
    const leaseId = task.lease_id!;
    this.writeResult(task, { status: 'error', content: [], errorMessage: message }, by, by.display);
    this.append(by, { kind: 'a2a_task_force_errored', payload: { task_id: task.id, lease_id: leaseId, reason, by: by.display } });
  }

  private leasedTask(taskId: string, leaseId: string, action: string): TaskRow {
    const task = this.store.get(taskId);
    if (!task) throw new CovenantError('E_NOT_FOUND', `no task ${taskId}; see covenant a2a status`);
    if (task.state !== 'in_flight' || task.lease_id !== leaseId) throw this.leaseMismatch(task, action);
    return task;
  }

  private leaseMismatch(task: TaskRow, action: string): CovenantError {
    const now = task.state === 'in_flight' ? `its current lease is ${task.lease_id}` : `it is ${task.state} and holds no lease`;
    return new CovenantError('E_LEASE_MISMATCH', `lease mismatch: the lease id given is not task ${task.id}'s current lease (${now}); read it again with covenant a2a status`, {
      auditEvent: { kind: 'a2a_lease_mismatch', payload: { task_id: task.id, action, current_lease_id: task.lease_id } },
    });
  }

  // ------------------------------------------------------------------------ retry-stale

  retryStalePolicy(): RetryStalePolicy {
    const stored = readState(this.deps.db, RETRY_STALE_KEY);
    const fallback: RetryStalePolicy = { enabled: false, min_lease_age_ms: A2A_DEFAULT_STALE_LEASE_MS, max_attempts: A2A_DEFAULT_MAX_ATTEMPTS };
    return stored === null ? fallback : { ...fallback, ...(JSON.parse(stored) as Partial<RetryStalePolicy>) };
  }

  /**
   * One retry-stale pass: leases at least `min_lease_age_ms` old go back to the queue, unless the
   * task has had `max_attempts` deliveries, in which case it fails with an error result (the
   * bound). `save` stores the policy (enable/disable) in the same transaction.
   */
  retryStale(policy: RetryStalePolicy, by: AgentId, options: { save: boolean; auditEmpty: boolean }): { requeued: string[]; gave_up: string[] } {
    const now = this.deps.clock.now();
    const changed: TaskRow[] = [];
    const outcome = this.deps.db.transaction(() => {
      if (options.save) writeState(this.deps.db, RETRY_STALE_KEY, JSON.stringify(policy), now);
      const requeued: string[] = [];
      const gaveUp: string[] = [];
      for (const task of this.store.staleLeases(now - policy.min_lease_age_ms, A2A_MAX_LIMIT)) {
        if (task.attempt >= policy.max_attempts) {
          this.forceErrorIn(task, 'retry_stale', `gave up after ${task.attempt} deliveries without a result (retry-stale max_attempts ${policy.max_attempts})`, by);
          gaveUp.push(task.id);
        } else {
          this.store.requeue(task.id, now);
          this.append(by, { kind: 'a2a_task_requeued', payload: { task_id: task.id, lease_id: task.lease_id!, reason: 'retry_stale', attempt: task.attempt, by: by.display } });
          requeued.push(task.id);
        }
        changed.push(this.store.get(task.id)!);
      }
      if (options.auditEmpty || requeued.length + gaveUp.length > 0) {
        this.append(by, {
          kind: 'a2a_retry_stale_run',
          payload: { enabled: policy.enabled, min_lease_age_ms: policy.min_lease_age_ms, max_attempts: policy.max_attempts, requeued, gave_up: gaveUp },
        });
      }
      return { requeued, gave_up: gaveUp };
    })();
    for (const task of changed) this.changed(task);
    return outcome;
  }

  // ------------------------------------------------------------------------ compact, deadlines

  /** Drops tasks whose results were drained (state `done`), with their event log. */
  compact(by: AgentId): number {
    return this.deps.db.transaction(() => {
      const ids = this.store.drainedIds();
      this.store.remove(ids);
      this.append(by, { kind: 'a2a_compacted', payload: { removed: ids.length, task_ids_sha256: sha256Hex(ids.join('\n')) } });
      return ids.length;
    })();
  }

  /** Queued tasks past their deadline fail with an error result, written by the daemon. */
  expireDeadlines(): void {
    const now = this.deps.clock.now();
    const expired = this.store.expired(now, A2A_MAX_LIMIT);
    if (expired.length === 0) return;
    this.deps.db.transaction(() => {
      for (const task of expired) {
        this.writeResult(task, { status: 'error', content: [], errorMessage: `deadline ${task.deadline_ms} passed before the task was delivered` }, this.deps.daemon, 'deadline');
      }
    })();
    for (const task of expired) this.changed(this.store.get(task.id)!);
  }

  // ------------------------------------------------------------------------ internals

  private append(issuer: AgentId, event: NewAuditEvent): void {
    this.deps.audit.append(issuer, event);
  }

  /** After a commit: wake whoever waits on this task's recipient, sender or the task itself. */
  private changed(task: TaskRow): void {
    if (task.state === 'queued') this.wakeups.notify(task.recipient_kind === 'agent' ? AGENTS_KEY : task.recipient_key);
    if (task.state === 'result_pending') this.wakeups.notify(resultsKey(task.sender_pubkey));
    this.wakeups.notify(taskKey(task.id));
  }
}
