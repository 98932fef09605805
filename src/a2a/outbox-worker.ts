/**
 * The federation outbox (SPEC 10, docs/a2a.md "Federation"): tasks for `<agent>@<remote>` are
 * leased by the daemon (the lease committed before anything is sent), delivered with
 * `SendMessage` whose `messageId` is the local task id, followed with `GetTask` until the remote
 * task ends, and answered in the local mailbox. A delivery that was under way when the daemon
 * stopped resumes at the next start by sending the same message again: the remote answers the
 * task it already has, so nothing runs twice there.
 */
import { isJsonRpcError, JsonRpcInvalidAgentResponseError } from '@a2a-js/sdk/errors';
import { checkAuditEvent, type AuditLog } from '../audit/index.js';
import { CovenantError, type Clock } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { RuntimeLog } from '../runtime/index.js';
import type { Db } from '../store/index.js';
import { REMOTES_KEY, type MailboxService, type ResultInput } from './mailbox.js';
import { OutboxStore } from './outbox-store.js';
import { parseRemoteKey } from './recipients.js';
import { readSendAnswer, readTask, resultOf, sendMessageRequest } from './remote-messages.js';
import { authRefusedMessage, describeError, remoteLabel, type RemoteRegistry } from './remotes.js';
import type { TaskRow } from './task-rows.js';
import { pause, TimedOut, within } from './time-bound.js';

export interface OutboxWorkerDeps {
  db: Db;
  mailbox: MailboxService;
  remotes: RemoteRegistry;
  audit: AuditLog;
  clock: Clock;
  daemon: AgentId;
  log: RuntimeLog;
  /** COVENANT_A2A_DELIVER_TIMEOUT_MS: the longest a remote may go without answering. */
  timeoutMs: number;
  /** Pause after a failed attempt (doubling up to `maxMs`), and between follow-ups of a running remote task. */
  backoff?: { firstMs: number; maxMs: number };
  /** Deliveries at once. */
  concurrency?: number;
}

export const DEFAULT_DELIVER_TIMEOUT_MS = 10_000;
const DEFAULT_BACKOFF = { firstMs: 100, maxMs: 2_000 };
/** The first look at an accepted remote task: most tasks of a quick agent have ended by then. */
const FOLLOW_FIRST_MS = 20;

/**
 * The pause before the next `GetTask` of a remote task followed for `elapsedMs`: a quarter of
 * that (at least `firstMs`, at most `maxMs`), so a task's end is seen at most about a quarter of
 * its run late, with a few dozen looks at a task of seconds. (Doubling pauses saw a 90 ms task
 * end at 140 ms, or at 300 ms when it ended just after the 140 ms look.)
 */
export function followPause(elapsedMs: number, firstMs: number, maxMs: number): number {
  return Math.min(maxMs, Math.max(firstMs, elapsedMs / 4));
}

/** The lease holder of a task being delivered to `remote`. */
export const remoteLeaseHolder = (remote: string) => `remote:${remote}`;

export class OutboxWorker {
  private readonly abort = new AbortController();
  private readonly running = new Map<string, Promise<void>>();
  private readonly outbox: OutboxStore;
  private loop: Promise<void> | null = null;

  constructor(private readonly deps: OutboxWorkerDeps) {
    this.outbox = new OutboxStore(deps.db);
  }

  /** Resumes the deliveries a stop interrupted, then serves the queue (woken by the commit that queues a task). */
  start(): void {
    if (this.loop) return;
    for (const task of this.deps.mailbox.store.inFlightForRemotes()) this.spawn(task);
    this.loop = this.serve().catch((error: unknown) => this.deps.log.warn({ err: error }, 'a2a outbox worker stopped'));
  }

  /** Deliveries under way stay leased (in flight) and resume at the next start. */
  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.running.values()]);
  }

  /** Deliveries under way (tests, status). */
  get active(): number {
    return this.running.size;
  }

  private async serve(): Promise<void> {
    const signal = this.abort.signal;
    const limit = this.deps.concurrency ?? 8;
    while (!signal.aborted) {
      if (this.running.size >= limit) {
        await Promise.race(this.running.values());
        continue;
      }
      const next = this.deps.mailbox.store.queuedForRemotes(1)[0];
      const key = next ? parseRemoteKey(next.recipient_key) : null;
      // The receipt is written when the remote accepts the task, not at this lease.
      const leased = next && key ? this.deps.mailbox.lease(next.recipient_key, remoteLeaseHolder(key.remote), this.deps.daemon, { deferReceipt: true }) : null;
      if (leased) this.spawn(leased);
      else if (!next) await this.deps.mailbox.wakeups.wait(REMOTES_KEY, Infinity, signal);
    }
  }

  private spawn(task: TaskRow): void {
    if (this.running.has(task.id)) return;
    const run = this.deliver(task)
      .catch((error: unknown) => this.deps.log.warn({ err: error, task_id: task.id }, 'a2a remote delivery failed inside the daemon'))
      .finally(() => this.running.delete(task.id));
    this.running.set(task.id, run);
  }

  private async deliver(task: TaskRow): Promise<void> {
    const key = parseRemoteKey(task.recipient_key);
    if (!key) return;
    const signal = this.abort.signal;
    const { firstMs, maxMs } = this.deps.backoff ?? DEFAULT_BACKOFF;
    let remoteTaskId = this.outbox.ensure(task.id, key.remote, key.target, this.deps.clock.now()).remote_task_id;
    // Measured on the monotonic clock from the last A2A answer of the remote (a daemon restart starts afresh).
    let lastAnswer = performance.now();
    const left = () => this.deps.timeoutMs - (performance.now() - lastAnswer);
    let attempts = 0;
    let retryDelay = firstMs;
    while (!signal.aborted && this.stillLeased(task)) {
      const remote = this.deps.remotes.get(key.remote);
      if (!remote) return this.fail(task, key.remote, 'remote_removed', `remote ${JSON.stringify(key.remote)} is no longer registered (covenant remotes list)`, attempts);
      const label = remoteLabel(remote);
      attempts += 1;
      try {
        // A card alone is no answer: a remote whose endpoint fails behind a good card still times out.
        const { client } = await this.deps.remotes.connect(remote, { signal, ms: left(), taskId: task.id });
        if (remoteTaskId === null) {
          const answer = readSendAnswer(await within((bound) => client.sendMessage(sendMessageRequest(task, key.target), { signal: bound }), left(), signal));
          lastAnswer = performance.now();
          // A direct message (no task) is already the answer.
          remoteTaskId = answer.kind === 'task' ? answer.task.id : `message:${task.id}`;
          const result = answer.kind === 'task' ? resultOf(answer.task, label) : answer.result;
          if (!this.accept(task, remote.name, remoteTaskId, attempts)) {
            // Canceled here while the message was on its way: the task it made there is canceled too.
            if (answer.kind === 'task' && result === null && this.deps.mailbox.get(task.id)?.state === 'canceled') {
              await this.cancelLanded(task, remote.name, answer.task.id, (bound) => client.cancelTask({ tenant: '', id: answer.task.id, metadata: undefined }, { signal: bound }), left());
            }
            return;
          }
          if (result) return this.finish(task, result);
        }
        // Follow the remote task; the pause grows while it keeps running.
        const followed = remoteTaskId;
        const following = performance.now();
        for (;;) {
          await pause(followPause(performance.now() - following, Math.min(firstMs, FOLLOW_FIRST_MS), maxMs), signal);
          if (signal.aborted || !this.stillLeased(task)) return;
          const current = readTask(await within((bound) => client.getTask({ tenant: '', id: followed }, { signal: bound }), left(), signal));
          lastAnswer = performance.now();
          retryDelay = firstMs;
          const result = resultOf(current, label);
          if (result) return this.finish(task, result);
        }
      } catch (error) {
        if (signal.aborted) return;
        if (error instanceof CovenantError && error.code === 'E_REMOTE_CARD_MISMATCH') {
          if (error.auditEvent) this.deps.audit.append(this.deps.daemon, checkAuditEvent(error.auditEvent));
          return this.fail(task, remote.name, 'card_mismatch', error.message, attempts);
        }
        if (error instanceof CovenantError && error.code === 'E_REMOTE_AUTH_REFUSED') {
          // The remote refused the token itself: no retry can change that, only a new token.
          return this.fail(task, remote.name, 'remote_auth_refused', authRefusedMessage(remote, error), attempts);
        }
        if (isJsonRpcError(error) && !(error instanceof JsonRpcInvalidAgentResponseError)) {
          // The remote answered with a refusal (a missing grant, an unknown recipient, ...): retrying would not change it.
          return this.fail(task, remote.name, 'remote_refused', `${label} refused task ${task.id}: ${describeError(error)}`, attempts);
        }
        const why = error instanceof TimedOut ? `no answer within ${error.ms} ms` : describeError(error);
        this.outbox.failedAttempt(task.id, why, this.deps.clock.now());
        this.deps.log.info({ task_id: task.id, remote: remote.name, attempt: attempts, error: why }, 'a2a remote delivery attempt failed; retrying');
        if (left() <= 0) {
          return this.fail(
            task,
            remote.name,
            'timeout',
            `${label} did not answer within ${this.deps.timeoutMs} ms (COVENANT_A2A_DELIVER_TIMEOUT_MS), ${attempts} attempt(s); last error: ${why}`,
            attempts,
          );
        }
        await pause(Math.min(retryDelay, Math.max(0, left())), signal);
        retryDelay = Math.min(retryDelay * 2, maxMs);
      }
    }
  }

  /** Best effort: the local cancel was already answered; a remote that does not confirm is logged. */
  private async cancelLanded(task: TaskRow, remote: string, remoteTaskId: string, cancel: (signal: AbortSignal) => Promise<unknown>, ms: number): Promise<void> {
    try {
      await within(cancel, ms, this.abort.signal);
      this.deps.audit.append(this.deps.daemon, { kind: 'a2a_remote_canceled', payload: { task_id: task.id, remote, remote_task_id: remoteTaskId, found: true } });
    } catch (error) {
      this.deps.log.warn({ task_id: task.id, remote, remote_task_id: remoteTaskId, error: describeError(error) }, 'a2a remote task of a canceled task could not be canceled there');
    }
  }

  /** The task is still in flight under the lease this delivery holds (not canceled, requeued or answered meanwhile). */
  private stillLeased(task: TaskRow): boolean {
    const current = this.deps.mailbox.get(task.id);
    return current?.state === 'in_flight' && current.lease_id === task.lease_id;
  }

  /** The remote accepted the message: its task id, the `a2a_remote_accepted` row and the local `message` receipt, in one transaction. */
  private accept(task: TaskRow, remote: string, remoteTaskId: string, attempts: number): boolean {
    return this.deps.db.transaction(() => {
      if (!this.stillLeased(task)) return false;
      this.outbox.accepted(task.id, remoteTaskId, this.deps.clock.now());
      this.deps.mailbox.recordDelivery(task);
      this.deps.audit.append(this.deps.daemon, { kind: 'a2a_remote_accepted', payload: { task_id: task.id, remote, remote_task_id: remoteTaskId, delivery_attempts: attempts } });
      return true;
    })();
  }

  private finish(task: TaskRow, result: ResultInput): void {
    const key = parseRemoteKey(task.recipient_key)!;
    try {
      this.deps.mailbox.respond(task.id, { leasedTo: remoteLeaseHolder(key.remote), issuer: this.deps.daemon }, result, task.lease_id ?? undefined);
    } catch (error) {
      // Canceled or requeued meanwhile: the result is dropped, and the refusal audited like any.
      if (error instanceof CovenantError && error.auditEvent) this.deps.audit.append(this.deps.daemon, checkAuditEvent(error.auditEvent));
      else throw error;
    }
  }

  private fail(task: TaskRow, remote: string, reason: string, message: string, attempts: number): void {
    this.deps.db.transaction(() => {
      if (!this.stillLeased(task)) return;
      this.finish(task, { status: 'error', content: [], errorMessage: message });
      this.deps.audit.append(this.deps.daemon, { kind: 'a2a_remote_failed', payload: { task_id: task.id, remote, reason, delivery_attempts: attempts } });
    })();
    this.deps.log.warn({ task_id: task.id, remote, reason }, 'a2a remote delivery failed');
  }
}
