import type { MiddlewareHandler } from 'hono';
import { refusalWith, type DaemonContext } from '../../requests/index.js';
import type { AuthFailure, GatewayEnv } from '../env.js';
import { auditPath, httpSite, refuse } from '../errors.js';

function messageFor(failure: AuthFailure): string {
  switch (failure.reason) {
    case 'missing bearer token':
      return 'this route needs an `Authorization: Bearer <token>` header; the operator token is in $COVENANT_HOME/peers/operator.token';
    case 'malformed authorization header':
      return 'the Authorization header must be `Bearer <token>` with one base58 token';
    default:
      return 'unknown or revoked token; ask the operator for a token (`covenant peers add <name>`)';
  }
}

/**
 * Answers 401 for every request without a live token, after writing its
 * `authentication_failed` row (503 when that row cannot be written). Only a 6-character
 * prefix of a presented token ever reaches the row.
 */
export function requireAuth(ctx: DaemonContext): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const identity = c.get('identity');
    if (identity.caller) {
      c.set('caller', identity.caller);
      await next();
      return;
    }
    const { failure } = identity;
    const refusal = refusalWith(failure.code, messageFor(failure), {
      kind: 'authentication_failed',
      payload: { transport: 'http', reason: failure.reason, token_prefix: failure.tokenPrefix, method: c.req.method, path: auditPath(c) },
    });
    const challenge = failure.reason === 'missing bearer token' ? 'Bearer realm="covenant"' : 'Bearer realm="covenant", error="invalid_token"';
    return refuse(c, ctx, refusal, httpSite(c, ctx, null, false), { 'WWW-Authenticate': challenge });
  };
}
