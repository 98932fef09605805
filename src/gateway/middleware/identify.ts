import type { Socket } from 'node:net';
import type { Context } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import { auditTokenPrefix, hashToken } from '../../peers/index.js';
import type { Identity } from '../env.js';
import { FOREIGN_ORIGIN, type GatewayEnv } from '../env.js';
import { readConsoleCookie } from '../console/cookie.js';
import { fromOwnOrigin, isStateChanging } from '../console/origin.js';
import { requestHeader } from '../request-header.js';
import type { Gate } from './gates.js';

const MAX_TOKEN_LENGTH = 256;
/** `Bearer <token>`, scheme case-insensitive, exactly one credential. */
const BEARER = /^bearer[ \t]+([^\s]+)[ \t]*$/i;

/**
 * Resolves the `Authorization` header through the peer registry, without refusing anything:
 * the rate limiter needs to know who is asking before `requireAuth` answers 401. Without that
 * header, the operator console's session cookie is the credential (docs/console.md).
 */
export function identify(ctx: DaemonContext): Gate {
  return (c) => {
    const header = requestHeader(c, 'authorization');
    const cookie = header === undefined || header.trim() === '' ? readConsoleCookie(c, ctx) : undefined;
    c.set('identity', cookie === undefined ? identityOf(ctx, header, (token) => connectionTokenHash(c, token)) : consoleIdentityOf(ctx, c, cookie));
    return undefined;
  };
}

/** A console session cookie: a live console session, used from the console's own origin for any state change. */
export function consoleIdentityOf(ctx: DaemonContext, c: Context<GatewayEnv>, token: string): Identity {
  const session = ctx.console.resolve(token);
  if (!session.ok) return { caller: null, failure: { code: 'E_AUTH_FAILED', reason: session.reason, tokenPrefix: auditTokenPrefix(token) } };
  const { peer } = session;
  if (isStateChanging(c.req.method) && !fromOwnOrigin(c)) {
    return { caller: null, failure: { code: 'E_FORBIDDEN', reason: FOREIGN_ORIGIN, tokenPrefix: peer.token_prefix } };
  }
  return {
    caller: { agentId: peer.agent_id, role: peer.role, tokenHash: peer.token_hash, tokenPrefix: peer.token_prefix, transport: 'http' },
    failure: null,
  };
}

/** The last token each connection presented, with its hash: a keep-alive client sends the same one every time. */
const lastToken = new WeakMap<Socket, { token: string; hash: string }>();

/**
 * The SHA-256 of `token`, made once per connection while the client keeps presenting the same
 * token. Only the hash is reused: the peer it names is still looked up (and its liveness
 * checked) on every request, so a revocation is seen by the next request as before. The token
 * is held only as long as its connection, where it was anyway; no other connection reads it.
 */
function connectionTokenHash(c: Context<GatewayEnv>, token: string): string {
  const socket = c.env?.incoming?.socket;
  if (!socket) return hashToken(token);
  const last = lastToken.get(socket);
  if (last?.token === token) return last.hash;
  const hash = hashToken(token);
  lastToken.set(socket, { token, hash });
  return hash;
}

export function identityOf(ctx: DaemonContext, header: string | undefined, hashOf: (token: string) => string = hashToken): Identity {
  if (header === undefined || header.trim() === '') {
    return { caller: null, failure: { code: 'E_AUTH_REQUIRED', reason: 'missing bearer token', tokenPrefix: null } };
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
    return { caller: null, failure: { code: 'E_AUTH_FAILED', reason: 'malformed authorization header', tokenPrefix: null } };
  }
  const hash = hashOf(token);
  const peer = ctx.peers.resolve(token, hash);
  if (peer) {
    return {
      caller: { agentId: peer.agent_id, role: peer.role, tokenHash: peer.token_hash, tokenPrefix: peer.token_prefix, transport: 'http' },
      failure: null,
    };
  }
  // Told apart in the audit row (the operator's forensics), never in the answer.
  const revoked = ctx.peers.byHash(hash) !== null;
  return {
    caller: null,
    failure: { code: 'E_AUTH_FAILED', reason: revoked ? 'revoked token' : 'unknown token', tokenPrefix: auditTokenPrefix(token) },
  };
}
