export { TokenBucket, KeyedRateLimiter, retryAfterSeconds, type TakeResult } from './token-bucket.js';
export { AuditThrottle, type ThrottleDecision } from './audit-throttle.js';
