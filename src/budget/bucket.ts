/**
 * Token-bucket arithmetic (SPEC 14), pure and clock-injected: capacity = credits per hour,
 * refilled continuously at capacity / hour, starting full. Refill never lifts a balance above
 * capacity (a top-up may, and such a balance is kept until it is spent). What a run costs is the
 * compute receipt's rule (settlement's `computeCredits`): a budget charges what the receipt says.
 */
import { MS_PER_CREDIT } from '../settlement/index.js';

export const MS_PER_HOUR = 3_600_000;
/** What an intent needs in the bucket before it may run. */
export const ADMIT_CREDITS = 1;

export interface BucketState {
  creditsPerHour: number;
  balance: number;
  /** When `balance` was last brought up to date (epoch ms). */
  updatedAt: number;
}

/** The bucket brought up to `now`. A clock that went backwards refills nothing. */
export function refill(bucket: BucketState, now: number): BucketState {
  if (now <= bucket.updatedAt) return bucket;
  const capacity = bucket.creditsPerHour;
  if (capacity <= 0 || bucket.balance >= capacity) return { ...bucket, updatedAt: now };
  const gained = ((now - bucket.updatedAt) * capacity) / MS_PER_HOUR;
  return { ...bucket, balance: Math.min(capacity, bucket.balance + gained), updatedAt: now };
}

/** Milliseconds until the balance reaches `target` credits (0 when it already has; Infinity when it never will). */
export function msUntil(bucket: BucketState, target = ADMIT_CREDITS): number {
  if (bucket.balance >= target) return 0;
  if (bucket.creditsPerHour <= 0 || target > Math.max(bucket.creditsPerHour, bucket.balance)) return Number.POSITIVE_INFINITY;
  return Math.ceil(((target - bucket.balance) * MS_PER_HOUR) / bucket.creditsPerHour);
}

/**
 * The wall time a run may use before it is preempted: the whole credits it can still pay for
 * (`floor(available) × 1000 ms`), never less than one credit's worth for an admitted run.
 */
export function deadlineForBalance(available: number): number {
  return Math.max(ADMIT_CREDITS, Math.floor(available)) * MS_PER_CREDIT;
}

/** Credits as shown in responses and audit rows: three decimals, no float noise. */
export function roundCredits(credits: number): number {
  return Math.round(credits * 1000) / 1000;
}
