import type { AgentId } from '../identity/index.js';
import type { RuntimeLog } from '../runtime/index.js';
import type { MailboxService } from './mailbox.js';

/** The shortest interval between automatic retry-stale passes. */
const MIN_INTERVAL_MS = 1000;

/**
 * `a2a retry-stale --enable`: the daemon applies the stored policy by itself, once at start and
 * then every half `min_lease_age_ms` (at least 1 s). A disabled policy does nothing, so a
 * leased task is never redelivered after a restart unless the operator enabled it.
 */
export class RetryStaleTimer {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly mailbox: MailboxService,
    private readonly daemon: AgentId,
    private readonly log: RuntimeLog,
  ) {}

  start(): void {
    this.tick();
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Re-reads the policy (after `a2a retry-stale` changed it). */
  reschedule(): void {
    this.stop();
    this.tick();
  }

  private tick(): void {
    const policy = this.mailbox.retryStalePolicy();
    if (!policy.enabled) return;
    try {
      this.mailbox.retryStale(policy, this.daemon, { save: false, auditEmpty: false });
    } catch (error) {
      this.log.warn({ err: error }, 'a2a retry-stale pass failed');
    }
    this.timer = setTimeout(() => this.tick(), Math.max(MIN_INTERVAL_MS, Math.floor(policy.min_lease_age_ms / 2)));
    this.timer.unref();
  }
}
