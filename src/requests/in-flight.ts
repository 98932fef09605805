/** Counts requests being served so shutdown can wait for them, up to a bound. */
export class InFlightTracker {
  private count = 0;
  private idle: Array<() => void> = [];

  start(): () => void {
    this.count += 1;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      this.count -= 1;
      if (this.count === 0 && this.idle.length > 0) for (const resolve of this.idle.splice(0)) resolve();
    };
  }

  get active(): number {
    return this.count;
  }

  drain(timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
