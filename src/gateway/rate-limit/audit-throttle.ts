import type { Clock } from '../../core/index.js';

export type ThrottleDecision = { write: true; count: number } | { write: false };

interface Entry<T> {
  lastWrittenMs: number;
  /** Refusals of this key that no written row accounts for yet. */
  pending: number;
  context: T;
}

/**
 * Decides which refusals of one key get an audit row: at most one per `intervalMs`. Every
 * refusal is counted exactly once: a row written carries `count`, the refusals it accounts for
 * (itself and those held since the key's previous row); refusals still held are handed out
 * by `drain` (the gateway writes them as a summary row) once the interval has passed, and all
 * of them at shutdown. So the sum of `count` over the rows equals the number of refusals.
 * `context` is whatever the caller needs to write that summary row later (issuer, prefix).
 */
export class AuditThrottle<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private closed = false;

  constructor(
    private readonly clock: Clock,
    readonly intervalMs = 1000,
  ) {}

  /** Counts one refusal of `key`; says whether to write its row now, and with which count. */
  decide(key: string, context: T): ThrottleDecision {
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (!this.closed && entry && now >= entry.lastWrittenMs && now - entry.lastWrittenMs < this.intervalMs) {
      entry.pending += 1;
      entry.context = context;
      return { write: false };
    }
    const count = (entry?.pending ?? 0) + 1;
    this.entries.set(key, { lastWrittenMs: now, pending: 0, context });
    return { write: true, count };
  }

  /**
   * The row of a `write` decision could not be written, and that request was answered
   * otherwise (503), so it is no longer a refusal to count: the other `count - 1` stay
   * pending and the key's next refusal tries again.
   */
  undo(key: string, count: number): void {
    const entry = this.entries.get(key);
    if (entry) {
      entry.lastWrittenMs = Number.NEGATIVE_INFINITY;
      entry.pending += count - 1;
    }
  }

  /** A summary row handed out by `drain` could not be written: its count is pending again. */
  restore(key: string, count: number, context: T): void {
    const entry = this.entries.get(key);
    if (entry) entry.pending += count;
    else this.entries.set(key, { lastWrittenMs: Number.NEGATIVE_INFINITY, pending: count, context });
  }

  /**
   * Keys whose interval has passed with pending refusals (all of them when `all`), reset as
   * if a row had just been written; idle keys are forgotten.
   */
  drain(all = false): Array<{ key: string; count: number; context: T }> {
    const now = this.clock.now();
    const due: Array<{ key: string; count: number; context: T }> = [];
    for (const [key, entry] of this.entries) {
      const elapsed = now - entry.lastWrittenMs >= this.intervalMs || now < entry.lastWrittenMs;
      if (entry.pending > 0 && (elapsed || all)) {
        due.push({ key, count: entry.pending, context: entry.context });
        entry.pending = 0;
        entry.lastWrittenMs = now;
      } else if (entry.pending === 0 && elapsed) {
        this.entries.delete(key);
      }
    }
    return due;
  }

  /**
   * Hands out everything pending, and from now on every refusal gets its own row at once:
   * after the last flush at shutdown nothing may stay uncounted.
   */
  close(): Array<{ key: string; count: number; context: T }> {
    this.closed = true;
    return this.drain(true);
  }

  get size(): number {
    return this.entries.size;
  }
}
