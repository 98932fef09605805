import type { Socket } from 'node:net';
import type { Context } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import { auditTokenPrefix, hashToken, type PeerRecord } from '../../peers/index.js';
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
    c.set('identity', cookie === undefined ? connectionIdentity(ctx, c, header) : consoleIdentityOf(ctx, c, cookie));
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

/** What the last bearer header of a connection resolved to: a keep-alive client sends the same one every time. */
interface Presented {
  header: string;
  token: string;
  hash: string;
  peer: PeerRecord;
  identity: Identity;
}
const lastPresented = new WeakMap<Socket, Presented>();

/**
 * The identity a bearer header names, worked out once per connection while the client keeps
 * presenting the same header: the token's SHA-256, its peer and the caller made from it.
 * The peer is still looked up on every request (`peers.resolve`, which answers the same frozen
 * record until the `peers` table changes, and null once the token is revoked), and the kept
 * identity is used only while that lookup answers the very record it was made from: a
 * revocation, or any change to the peers, is seen by the next request. The token is held only
 * as long as its connection, where it was anyway; no other connection reads it.
 */
function connectionIdentity(ctx: DaemonContext, c: Context<GatewayEnv>, header: string | undefined): Identity {
  const socket = c.env?.incoming?.socket;
  if (!socket || header === undefined) return identityOf(ctx, header).identity;
  const last = lastPresented.get(socket);
  if (last?.header === header) {
    const peer = ctx.peers.resolve(last.token, last.hash);
    if (peer === last.peer) return last.identity;
  }
  const found = identityOf(ctx, header, last?.header === header ? () => last.hash : hashToken);
  if (found.peer !== null && found.token !== null) {
    lastPresented.set(socket, { header, token: found.token, hash: found.peer.token_hash, peer: found.peer, identity: found.identity });
  }
  return found.identity;
}

/** The identity a bearer header names, with the live peer and the token it was resolved from (null when refused). */
export function identityOf(
  ctx: DaemonContext,
  header: string | undefined,
  hashOf: (token: string) => string = hashToken,
): { identity: Identity; peer: PeerRecord | null; token: string | null } {
  if (header === undefined || header.trim() === '') {
    return { identity: { caller: null, failure: { code: 'E_AUTH_REQUIRED', reason: 'missing bearer token', tokenPrefix: null } }, peer: null, token: null };
  }
  const token = BEARER.exec(header)?.[1];
  if (token === undefined || token.length > MAX_TOKEN_LENGTH) {
    return { identity: { caller: null, failure: { code: 'E_AUTH_FAILED', reason: 'malformed authorization header', tokenPrefix: null } }, peer: null, token: null };
  }
  const hash = hashOf(token);
  const peer = ctx.peers.resolve(token, hash);
  if (peer) {
    const caller = { agentId: peer.agent_id, role: peer.role, tokenHash: peer.token_hash, tokenPrefix: peer.token_prefix, transport: 'http' } as const;
    return { identity: { caller, failure: null }, peer, token };
  }
  // Told apart in the audit row (the operator's forensics), never in the answer.
  const revoked = ctx.peers.byHash(hash) !== null;
  const failure = { code: 'E_AUTH_FAILED', reason: revoked ? 'revoked token' : 'unknown token', tokenPrefix: auditTokenPrefix(token) } as const;
  return { identity: { caller: null, failure }, peer: null, token };
}
