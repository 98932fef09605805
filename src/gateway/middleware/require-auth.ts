import { refusalWith, type DaemonContext } from '../../requests/index.js';
import { FOREIGN_ORIGIN, type AuthFailure } from '../env.js';
import { auditPath, httpSite, refuse } from '../errors.js';
import type { Gate } from './gates.js';

export function messageFor(failure: AuthFailure): string {
  switch (failure.reason) {
    case 'missing bearer token':
      return 'this route needs an `Authorization: Bearer <token>` header; the operator token is in $COVENANT_HOME/peers/operator.token';
    case 'malformed authorization header':
      return 'the Authorization header must be `Bearer <token>` with one base58 token';
    case 'unknown token':
    case 'revoked token':
      return 'unknown or revoked token; ask the operator for a token (`covenant peers add <name>`)';
    case FOREIGN_ORIGIN:
      return 'the console session works only from the console page itself; open the URL `covenant console` prints';
    default:
      return 'the console session or login code is not valid (expired, revoked, used or from another daemon); run `covenant console` for a new login URL';
  }
}

/** The bearer challenge of a 401 (a console cookie refusal has none: the console is not a bearer client). */
function challengeFor(failure: AuthFailure): Record<string, string> | undefined {
  if (failure.reason === 'missing bearer token') return { 'WWW-Authenticate': 'Bearer realm="covenant"' };
  if (failure.reason === 'malformed authorization header' || failure.reason === 'unknown token' || failure.reason === 'revoked token') {
    return { 'WWW-Authenticate': 'Bearer realm="covenant", error="invalid_token"' };
  }
  return undefined;
}

/**
 * Answers 401 for every request without a live token, after writing its
 * `authentication_failed` row (503 when that row cannot be written). Only a 6-character
 * prefix of a presented token ever reaches the row.
 */
export function requireAuth(ctx: DaemonContext): Gate {
  return (c) => {
    const identity = c.get('identity');
    if (identity.caller) {
      c.set('caller', identity.caller);
      return undefined;
    }
    const { failure } = identity;
    const refusal = refusalWith(failure.code, messageFor(failure), {
      kind: 'authentication_failed',
      payload: { transport: 'http', reason: failure.reason, token_prefix: failure.tokenPrefix, method: c.req.method, path: auditPath(c) },
    });
    return refuse(c, ctx, refusal, httpSite(c, ctx, null, false), challengeFor(failure));
  };
}
