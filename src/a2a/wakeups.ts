/**
 * Long polls without a busy loop: a waiter sleeps on a key (a recipient's inbox, a sender's
 * results) until a committed change to that key wakes it, its time runs out, or its caller
 * goes away. Nothing polls the database on a timer.
 */
export class Wakeups {
  private readonly waiters = new Map<string, Set<() => void>>();

  /** Wakes every waiter on `key` (call after the change has committed). */
  notify(key: string): void {
    const set = this.waiters.get(key);
    if (!set) return;
    this.waiters.delete(key);
    for (const wake of set) wake();
  }

  /** Resolves true when woken, false when `ms` (may be Infinity) passed or `signal` aborted first. */
  wait(key: string, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const finish = (woken: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.waiters.get(key)?.delete(wake);
        if (this.waiters.get(key)?.size === 0) this.waiters.delete(key);
        resolve(woken);
      };
      const wake = () => finish(true);
      const onAbort = () => finish(false);
      // An infinite wait (a worker with nothing to do) holds no timer at all.
      const timer = Number.isFinite(ms) ? setTimeout(() => finish(false), ms) : undefined;
      set.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waiters currently asleep (tests, status). */
  get sleeping(): number {
    let n = 0;
    for (const set of this.waiters.values()) n += set.size;
    return n;
  }
}

/**
 * Runs `attempt` until it yields something or `waitMs` has passed, sleeping on `key` between
 * tries. The deadline is fixed at the start: wake-ups for another waiter's change cost a retry,
 * never extra time. Measured on the monotonic clock (the daemon's Clock may be a test's fake).
 */
export async function longPoll<T>(
  wakeups: Wakeups,
  key: string,
  waitMs: number,
  signal: AbortSignal | undefined,
  attempt: () => T | null,
): Promise<T | null> {
  const deadline = performance.now() + waitMs;
  for (;;) {
    const found = attempt();
    if (found !== null) return found;
    const left = deadline - performance.now();
    if (left <= 0 || signal?.aborted) return null;
    await wakeups.wait(key, left, signal);
  }
}
