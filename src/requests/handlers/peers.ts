import { CovenantError, redact, secretPrefix } from '../../core/index.js';
import type { AuditPayload } from '../../audit/index.js';
import { resolvePurgeCutoff } from '../../protocol/index.js';
import { mintToken, rotateOperatorToken, tokenPrefix, type PeerRecord } from '../../peers/index.js';
import type { DaemonContext } from '../context.js';
import type { HandlerGroup } from './handler.js';

function view(peer: PeerRecord) {
  return { agent_id: peer.agent_id, token_prefix: peer.token_prefix, registered_at: peer.registered_at, revoked_at: peer.revoked_at };
}

function revokeAndDisconnect(ctx: DaemonContext, peer: PeerRecord, at: number): number {
  ctx.peerQueries.revoke(peer.token_hash, at);
  return ctx.disconnect.token(peer.token_hash);
}

export const peerHandlers: HandlerGroup<'peers_add' | 'peers_list' | 'peers_rotate' | 'peers_revoke' | 'peers_purge'> = {
  peers_add: (params, { caller }, ctx) => {
    const display = `${params.name}@peer`;
    if (ctx.peerQueries.resolveSubject(display).length > 0) {
      throw new CovenantError('E_CONFLICT', `a live peer named ${display} already exists; pick another name or revoke it first`);
    }
    const token = mintToken();
    const agentId = ctx.db.transaction(() => {
      const identity = ctx.identityKeys.create(display);
      ctx.peers.register(token, identity.agentId, 'peer');
      ctx.audit.append(caller.agentId, { kind: 'peer_added', payload: { agent_id: identity.agentId, token_prefix: tokenPrefix(token) } });
      return identity.agentId;
    })();
    return { kind: 'peer_added', agent_id: agentId, token_b58: token };
  },

  peers_list: (params, _scope, ctx) => {
    const { matched, peers } = ctx.peerQueries.list({ limit: params.limit, pubkeyPrefix: params.prefix, status: params.status });
    return {
      kind: 'peer_list',
      limit: params.limit,
      filter_pubkey_prefix: params.prefix === undefined ? null : redact(params.prefix),
      status_filter: params.status,
      matched_count: matched,
      truncated: matched > peers.length,
      operator_pubkey_b58: ctx.identity.agentId.pubkey,
      peers: peers.map(view),
    };
  },

  peers_rotate: (_params, { caller }, ctx) => {
    const rotated = rotateOperatorToken(
      { paths: ctx.paths, db: ctx.db, registry: ctx.peers, audit: ctx.audit, operator: ctx.identity.agentId, now: () => ctx.clock.now() },
      caller,
    );
    for (const hash of rotated.revokedHashes) ctx.disconnect.token(hash);
    return { kind: 'operator_token_rotated', old_prefix: rotated.oldPrefix, new_prefix: rotated.newPrefix, token_b58: rotated.token };
  },

  peers_revoke: (params, { caller }, ctx) => {
    // What the caller typed may be a whole token: answers and audit rows show 6 characters.
    const shown = params.token_prefix.length > 6 ? `${secretPrefix(params.token_prefix)}…` : params.token_prefix;
    const matches = ctx.peerQueries.byTokenPrefix(params.token_prefix, params.limit_matches + 1);
    const prefix = secretPrefix(params.token_prefix);
    const refused = (payload: Omit<AuditPayload<'peer_revoke_rejected'>, 'prefix'>) =>
      ctx.audit.append(caller.agentId, { kind: 'peer_revoke_rejected', payload: { prefix, ...payload } });
    if (matches.length === 0) {
      refused({ outcome: 'not_found' });
      return { kind: 'peer_revoke', outcome: { type: 'not_found', prefix: shown } };
    }
    if (matches.length > 1) {
      refused({ outcome: 'ambiguous', matches: Math.min(matches.length, params.limit_matches) });
      return {
        kind: 'peer_revoke',
        outcome: {
          type: 'ambiguous',
          prefix: shown,
          matches: matches.slice(0, params.limit_matches).map(view),
          truncated: matches.length > params.limit_matches,
        },
      };
    }
    const peer = matches[0]!;
    if (peer.revoked_at !== null) {
      refused({ outcome: 'already_revoked', agent: peer.agent_id });
      return { kind: 'peer_revoke', outcome: { type: 'already_revoked', peer: view(peer) } };
    }
    if (peer.token_hash === caller.tokenHash && !params.force) {
      refused({ outcome: 'self_revoke_forbidden' });
      return {
        kind: 'peer_revoke',
        outcome: {
          type: 'self_revoke_forbidden',
          prefix: shown,
          message: 'this is the token you are using; rotate it with `covenant peers rotate`, or pass --force (then recover with `covenantd --recover-operator`)',
        },
      };
    }
    // One clock reading: the answer shows exactly the revoked_at that is stored.
    const revokedAt = ctx.clock.now();
    const closed = ctx.db.transaction(() => {
      ctx.audit.append(caller.agentId, {
        kind: 'peer_revoked',
        payload: { prefix, outcome: 'revoked', agent: peer.agent_id, forced: peer.token_hash === caller.tokenHash },
      });
      return revokeAndDisconnect(ctx, peer, revokedAt);
    })();
    const revoked = { ...peer, revoked_at: revokedAt };
    return { kind: 'peer_revoke', outcome: { type: 'revoked', peer: view(revoked), connections_closed: closed } };
  },

  peers_purge: (params, { caller }, ctx) => {
    const beforeMs = resolvePurgeCutoff(params);
    const purged = ctx.db.transaction(() => {
      const count = ctx.peerQueries.purgeRevoked(beforeMs);
      ctx.audit.append(caller.agentId, { kind: 'peers_purged', payload: { before_ms: beforeMs, purged: count } });
      return count;
    })();
    return { kind: 'peers_purged', before_ms: beforeMs, purged };
  },
};
