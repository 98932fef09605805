import type { Clock } from '../../core/index.js';

export type TakeResult = { allowed: true } | { allowed: false; retryAfterMs: number };

/** Every allowed take answers this one object: nothing is made for a request let through. */
const ALLOWED: TakeResult = Object.freeze({ allowed: true });

/**
 * A token bucket: holds up to `burst` tokens, refilled continuously at `ratePerSecond`.
 * Each request takes one token; an empty bucket says how long until the next token.
 * The clock is injected so tests can move time by hand.
 */
export class TokenBucket {
  private tokens: number;
  private updatedMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new RangeError('ratePerSecond must be a positive number');
    if (!(burst >= 1) || !Number.isFinite(burst)) throw new RangeError('burst must be at least 1');
    this.tokens = burst;
    this.updatedMs = clock.now();
  }

  take(): TakeResult {
    this.refill();
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return ALLOWED;
    }
    return { allowed: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000) };
  }

  /** True when the bucket is full again, i.e. forgetting it changes nothing. */
  isFull(): boolean {
    this.refill();
    return this.tokens >= this.burst;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsedMs = Math.max(0, now - this.updatedMs); // a clock that steps back never mints tokens
    this.updatedMs = Math.max(this.updatedMs, now);
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs / 1000) * this.ratePerSecond);
  }
}

/** One bucket per key (a token hash or a remote address); idle full buckets are forgotten. */
export class KeyedRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly clock: Clock,
    private readonly maxKeys = 10_000,
  ) {
    // Validate once, up front, rather than on the first request.
    new TokenBucket(ratePerSecond, burst, clock);
  }

  take(key: string): TakeResult {
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.sweep();
      bucket = new TokenBucket(this.ratePerSecond, this.burst, this.clock);
      this.buckets.set(key, bucket);
    }
    return bucket.take();
  }

  get size(): number {
    return this.buckets.size;
  }

  /** Drops buckets that have refilled completely: they hold no information. */
  sweep(): void {
    for (const [key, bucket] of this.buckets) {
      if (bucket.isFull()) this.buckets.delete(key);
    }
  }
}

/** `Retry-After` is whole seconds, at least 1. */
export function retryAfterSeconds(retryAfterMs: number): number {
  return Math.max(1, Math.ceil(retryAfterMs / 1000));
}
