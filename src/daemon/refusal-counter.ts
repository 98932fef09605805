/**
 * Audits a flood of identical refusals without becoming the flood: the first refusal writes its
 * row at once, later ones within `windowMs` of the last row are counted and written as one row
 * (carrying the count) when the window ends. `flush` writes what is pending (at shutdown).
 */
export class RefusalCounter {
  private pending = 0;
  private lastRowAt = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly write: (count: number) => void,
    private readonly windowMs = 1000,
    private readonly now: () => number = () => Date.now(),
  ) {}

  note(): void {
    this.pending += 1;
    if (this.timer) return;
    const wait = this.lastRowAt + this.windowMs - this.now();
    if (wait <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), wait).unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending === 0) return;
    const count = this.pending;
    this.pending = 0;
    this.lastRowAt = this.now();
    this.write(count);
  }
}
