/** Restart policy of SPEC 11: exponential backoff with jitter, and the crash-loop breaker. */
export const BACKOFF_BASE_MS = 500;
export const BACKOFF_MAX_MS = 30_000;
export const CRASH_LOOP_LIMIT = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;

/**
 * The wait before restart number `attempt` (1 = first restart after a crash): 500 ms doubling up
 * to 30 s, with "equal jitter" (half fixed, half random) so servers that crashed together do not
 * restart in step. `random` is in [0, 1).
 */
export function backoffDelayMs(attempt: number, random: number): number {
  const ceiling = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random);
}

/** Crash times within the window; `tripped` once CRASH_LOOP_LIMIT of them fall inside it. */
export class CrashWindow {
  private times: number[] = [];

  record(now: number): { recent: number; tripped: boolean } {
    this.times = [...this.times.filter((t) => now - t < CRASH_LOOP_WINDOW_MS), now];
    return { recent: this.times.length, tripped: this.times.length >= CRASH_LOOP_LIMIT };
  }

  reset(): void {
    this.times = [];
  }
}
