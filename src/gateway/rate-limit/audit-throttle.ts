import type { Clock } from '../../core/index.js';

export type ThrottleDecision = { write: true; suppressed: number } | { write: false };

interface Entry<T> {
  lastWrittenMs: number;
  suppressed: number;
  context: T;
}

/**
 * Decides which refusals of one key get their own audit row: at most one per `intervalMs`.
 * Refusals in between are counted; the count rides on the next row written for that key, or
 * is handed out by `drain` once the interval has passed (the gateway writes it as a summary
 * row), so every refusal is accounted for without a flood turning into a write storm.
 * `context` is whatever the caller needs to write that summary row later (issuer, prefix).
 */
export class AuditThrottle<T> {
  private readonly entries = new Map<string, Entry<T>>();

  constructor(
    private readonly clock: Clock,
    readonly intervalMs = 1000,
  ) {}

  decide(key: string, context: T): ThrottleDecision {
    const now = this.clock.now();
    const entry = this.entries.get(key);
    if (entry && now >= entry.lastWrittenMs && now - entry.lastWrittenMs < this.intervalMs) {
      entry.suppressed += 1;
      entry.context = context;
      return { write: false };
    }
    const suppressed = entry?.suppressed ?? 0;
    this.entries.set(key, { lastWrittenMs: now, suppressed: 0, context });
    return { write: true, suppressed };
  }

  /** The audit write failed: the refusal counts as suppressed and the next one tries again. */
  undo(key: string, suppressed: number): void {
    const entry = this.entries.get(key);
    if (entry) {
      entry.lastWrittenMs = Number.NEGATIVE_INFINITY;
      entry.suppressed += suppressed + 1;
    }
  }

  /**
   * Keys whose interval has passed with suppressed refusals (all of them when `all`), reset
   * as if a row had just been written; idle keys are forgotten.
   */
  drain(all = false): Array<{ key: string; suppressed: number; context: T }> {
    const now = this.clock.now();
    const due: Array<{ key: string; suppressed: number; context: T }> = [];
    for (const [key, entry] of this.entries) {
      const elapsed = now - entry.lastWrittenMs >= this.intervalMs || now < entry.lastWrittenMs;
      if (entry.suppressed > 0 && (elapsed || all)) {
        due.push({ key, suppressed: entry.suppressed, context: entry.context });
        entry.suppressed = 0;
        entry.lastWrittenMs = now;
      } else if (entry.suppressed === 0 && elapsed) {
        this.entries.delete(key);
      }
    }
    return due;
  }

  get size(): number {
    return this.entries.size;
  }
}
