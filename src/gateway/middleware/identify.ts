import type { MiddlewareHandler } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import { auditTokenPrefix, hashToken } from '../../peers/index.js';
import type { Identity } from '../env.js';
import type { GatewayEnv } from '../env.js';

const MAX_TOKEN_LENGTH = 256;
/** `Bearer <token>`, scheme case-insensitive, exactly one credential. */
const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Resolves the `Authorization` header through the peer registry, without refusing anything:
 * the rate limiter needs to know who is asking before `requireAuth` answers 401.
 */
export function identify(ctx: DaemonContext): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    c.set('identity', identityOf(ctx, c.req.header('authorization')));
    await next();
  };
}

export function identityOf(ctx: DaemonContext, header: string | undefined): Identity {
  if (header === undefined || header.trim() === '') {
    return { caller: null, failure: { code: 'E_AUTH_REQUIRED', reason: 'missing bearer token', tokenPrefix: null } };
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
    return { caller: null, failure: { code: 'E_AUTH_FAILED', reason: 'malformed authorization header', tokenPrefix: null } };
  }
  const peer = ctx.peers.resolve(token);
  if (peer) {
    return {
      caller: { agentId: peer.agent_id, role: peer.role, tokenHash: peer.token_hash, tokenPrefix: peer.token_prefix, transport: 'http' },
      failure: null,
    };
  }
  // Told apart in the audit row (the operator's forensics), never in the answer.
  const revoked = ctx.peers.byHash(hashToken(token)) !== null;
  return {
    caller: null,
    failure: { code: 'E_AUTH_FAILED', reason: revoked ? 'revoked token' : 'unknown token', tokenPrefix: auditTokenPrefix(token) },
  };
}
