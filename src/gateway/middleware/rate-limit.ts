import type { Context } from 'hono';
import type { Caller, DaemonContext } from '../../requests/index.js';
import type { AgentId } from '../../identity/index.js';
import type { GatewayEnv } from '../env.js';
import { appendAudit, AUDIT_UNAVAILABLE_MESSAGE, auditPath, errorResponse, type AuditRecord } from '../errors.js';
import { retryAfterSeconds, type AuditThrottle, type KeyedRateLimiter } from '../rate-limit/index.js';
import { remoteAddress } from '../remote-address.js';
import type { Gate } from './gates.js';

export interface RateLimitAuditContext {
  issuer: AgentId;
  tokenPrefix: string | null;
}

/**
 * The `rate_limited` row: `count` is how many 429 answers it accounts for; `path` is the
 * (redacted) path of the refusal that wrote it, null for a summary row of held refusals.
 */
export function rateLimitRow(context: RateLimitAuditContext, count: number, path: string | null): AuditRecord {
  return {
    issuer: context.issuer,
    event: { kind: 'rate_limited', payload: { transport: 'http', token_prefix: context.tokenPrefix, count, path } },
  };
}

/** The bucket key of each caller, made once (identify keeps one caller per connection and token). */
const tokenKeys = new WeakMap<Caller, string>();

function tokenKey(caller: Caller): string {
  let key = tokenKeys.get(caller);
  if (key === undefined) {
    key = `token:${caller.tokenHash}`;
    tokenKeys.set(caller, key);
  }
  return key;
}

/**
 * Token bucket per live token (keyed by its hash), or per remote address for requests without
 * one. A refusal answers 429 E_RATE_LIMITED with `Retry-After` in whole seconds; a
 * `rate_limited` row is written at most once per second per key, its `count` saying how many
 * 429 answers it accounts for (see AuditThrottle).
 */
export function rateLimit(
  ctx: DaemonContext,
  limiter: KeyedRateLimiter,
  throttle: AuditThrottle<RateLimitAuditContext>,
  /** Called once the refusal is counted (the server's flush timer is armed from it). */
  counted: () => void = () => undefined,
): Gate {
  const refused = (c: Context<GatewayEnv>, key: string, retryAfterMs: number): Response => {
    const caller = c.get('identity').caller;
    const context: RateLimitAuditContext = caller
      ? { issuer: caller.agentId, tokenPrefix: caller.tokenPrefix }
      : { issuer: ctx.identity.agentId, tokenPrefix: null };
    const decision = throttle.decide(key, context);
    counted();
    if (decision.write && !appendAudit(ctx, rateLimitRow(context, decision.count, auditPath(c)))) {
      throttle.undo(key, decision.count);
      return errorResponse(c, 'E_AUDIT_UNAVAILABLE', AUDIT_UNAVAILABLE_MESSAGE);
    }
    const seconds = retryAfterSeconds(retryAfterMs);
    return errorResponse(c, 'E_RATE_LIMITED', `too many requests; retry in ${seconds} s (limit ${limiter.ratePerSecond}/s, burst ${limiter.burst})`, {
      'Retry-After': String(seconds),
    });
  };
  return (c) => {
    const caller = c.get('identity').caller;
    const key = caller ? tokenKey(caller) : `addr:${remoteAddress(c)}`;
    const taken = limiter.take(key);
    return taken.allowed ? undefined : refused(c, key, taken.retryAfterMs);
  };
}
