import { checkAuditEvent, RequestRows, runWithRequestRows, type AuditLog } from '../audit/index.js';
import { CovenantError } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { RuntimeLog } from '../runtime/index.js';
import { AGENTS_KEY, type MailboxService, type ResultInput } from './mailbox.js';
import type { TaskRow } from './task-rows.js';

/** Runs one leased task through the dispatch pipeline as an intent of its sender (wired by the daemon). */
export type AgentTaskRun = (task: TaskRow, signal: AbortSignal) => Promise<ResultInput>;

export interface AgentWorkerDeps {
  mailbox: MailboxService;
  audit: AuditLog;
  daemon: AgentId;
  log: RuntimeLog;
  run: AgentTaskRun;
  /** Agent runs at once; the dispatch pipeline and runner pool bound them again. */
  concurrency?: number;
}

/**
 * Installed agents as recipients: the daemon leases their queued tasks (the lease committed
 * first, like any delivery), runs each through the dispatch pipeline and writes the result.
 * It wakes on a commit that queues agent work, never on a timer. A task leased when the daemon
 * stopped stays in flight (it is not run twice) until `a2a retry-stale` or the operator acts.
 */
export class AgentTaskWorker {
  private readonly abort = new AbortController();
  private readonly running = new Set<Promise<void>>();
  private loop: Promise<void> | null = null;

  constructor(private readonly deps: AgentWorkerDeps) {}

  start(): void {
    this.loop ??= this.serve().catch((error: unknown) => this.deps.log.warn({ err: error }, 'a2a agent worker stopped'));
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    await Promise.allSettled([...this.running]);
  }

  private async serve(): Promise<void> {
    const signal = this.abort.signal;
    const limit = this.deps.concurrency ?? 4;
    while (!signal.aborted) {
      if (this.running.size >= limit) {
        await Promise.race(this.running);
        continue;
      }
      const next = this.deps.mailbox.store.queuedForAgents(1)[0];
      const leased = next ? this.deps.mailbox.lease(next.recipient_key, next.recipient_key, this.deps.daemon) : null;
      if (leased) {
        const run = this.runOne(leased).finally(() => this.running.delete(run));
        this.running.add(run);
      } else if (!next) {
        // No timer while idle: only the commit that queues agent work (or stop) wakes it.
        await this.deps.mailbox.wakeups.wait(AGENTS_KEY, Infinity, signal);
      }
    }
  }

  /**
   * One task, served like a request (as `covenant intent` is): the run's deferred check rows go
   * into its settle transaction, and the settle and the result, written in the same turn, share
   * one group commit (one fsync, not two). Waiters are woken by the result's commit notice and
   * answer only once it is durable (`commits.durable()`).
   */
  private async runOne(task: TaskRow): Promise<void> {
    const rows = new RequestRows();
    await runWithRequestRows(rows, async () => {
      await this.serveOne(task);
      this.deps.audit.writeRequestRows(rows);
    });
  }

  private async serveOne(task: TaskRow): Promise<void> {
    let result: ResultInput;
    try {
      result = await this.deps.run(task, this.abort.signal);
    } catch (error) {
      result = { status: 'error', content: [], errorMessage: error instanceof CovenantError ? `${error.code}: ${error.message}` : 'the agent run failed inside the daemon' };
      if (!(error instanceof CovenantError)) this.deps.log.warn({ err: error, task_id: task.id }, 'a2a agent task failed');
    }
    // Stopping: the task stays in flight rather than failing because the daemon went away.
    if (this.abort.signal.aborted) return;
    try {
      this.deps.mailbox.respond(task.id, { leasedTo: task.recipient_key, issuer: this.deps.daemon }, result, task.lease_id ?? undefined);
    } catch (error) {
      // Canceled or requeued meanwhile: the result is dropped, and the refusal audited like any.
      if (error instanceof CovenantError && error.auditEvent) this.deps.audit.append(this.deps.daemon, checkAuditEvent(error.auditEvent));
      else this.deps.log.warn({ err: error, task_id: task.id }, 'a2a agent result not written');
    }
  }
}
