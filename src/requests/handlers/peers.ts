import { CovenantError, formatTime, redact, secretPrefix } from '../../core/index.js';
import type { AuditPayload } from '../../audit/index.js';
import { resolvePurgeCutoff, type RevokeMatch } from '../../protocol/index.js';
import { hashToken, mintToken, rotateOperatorToken, tokenPrefix, type PeerRecord } from '../../peers/index.js';
import type { DaemonContext } from '../context.js';
import type { HandlerGroup } from './handler.js';

function view(peer: PeerRecord) {
  return { agent_id: peer.agent_id, token_prefix: peer.token_prefix, registered_at: peer.registered_at, revoked_at: peer.revoked_at };
}

function revokeAndDisconnect(ctx: DaemonContext, peer: PeerRecord, at: number): number {
  ctx.peerQueries.revoke(peer.token_hash, at);
  return ctx.disconnect.token(peer.token_hash);
}

/** What a revoke answer adds about how it matched; nothing for the plain cases. */
const MATCH_WORDING: Record<RevokeMatch, (six: string) => string> = {
  whole_token: () => '',
  token_prefix: () => '',
  stored_prefix: (six) => ` (matched on its first 6 characters, ${six}: only those are stored, and it is not a whole token known here)`,
  pubkey_prefix: () => ' (by pubkey)',
};

/** SPEC 8: a whole token by its hash, exactly; a longer string on the stored 6; a pubkey prefix with by_pubkey. */
function revokeCandidates(ctx: DaemonContext, given: string, byPubkey: boolean, limit: number): { matchedOn: RevokeMatch; matches: PeerRecord[] } {
  if (byPubkey) return { matchedOn: 'pubkey_prefix', matches: ctx.peerQueries.byPubkeyPrefix(given, limit) };
  if (given.length <= 6) return { matchedOn: 'token_prefix', matches: ctx.peerQueries.byTokenPrefix(given, limit) };
  const whole = ctx.peerQueries.byTokenHash(hashToken(given));
  if (whole) return { matchedOn: 'whole_token', matches: [whole] };
  return { matchedOn: 'stored_prefix', matches: ctx.peerQueries.byTokenPrefix(secretPrefix(given), limit) };
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
    // What the caller typed may be a whole token: answers and audit rows show 6 characters of it.
    // A pubkey prefix is shown as given, unless it looks like a pasted secret.
    const shown = params.by_pubkey ? redact(params.token_prefix) : params.token_prefix.length > 6 ? `${secretPrefix(params.token_prefix)}…` : params.token_prefix;
    const { matchedOn, matches } = revokeCandidates(ctx, params.token_prefix, params.by_pubkey, params.limit_matches + 1);
    const prefix = secretPrefix(params.token_prefix);
    const refused = (payload: Omit<AuditPayload<'peer_revoke_rejected'>, 'prefix'>) =>
      ctx.audit.append(caller.agentId, { kind: 'peer_revoke_rejected', payload: { prefix, ...payload } });
    const how = MATCH_WORDING[matchedOn](prefix);
    if (matches.length === 0) {
      refused({ outcome: 'not_found' });
      const what = matchedOn === 'pubkey_prefix' ? `no peer's pubkey starts with ${shown}` : `no token starts with ${matchedOn === 'stored_prefix' ? prefix : shown}`;
      return {
        kind: 'peer_revoke',
        outcome: {
          type: 'not_found',
          prefix: shown,
          matched_on: matchedOn,
          code: 'E_NOT_FOUND',
          message: `${what}${how}; see \`covenant peers list\``,
        },
      };
    }
    if (matches.length > 1) {
      const listed = Math.min(matches.length, params.limit_matches);
      refused({ outcome: 'ambiguous', matches: listed });
      const narrow = matchedOn === 'pubkey_prefix' ? 'give a longer pubkey prefix' : 'give the whole token, or revoke by identity with --by-pubkey <pubkey-prefix>';
      return {
        kind: 'peer_revoke',
        outcome: {
          type: 'ambiguous',
          prefix: shown,
          matches: matches.slice(0, params.limit_matches).map(view),
          truncated: matches.length > params.limit_matches,
          matched_on: matchedOn,
          code: 'E_AMBIGUOUS',
          message: `${shown} matches ${matches.length > params.limit_matches ? `more than ${params.limit_matches}` : listed} ${matchedOn === 'pubkey_prefix' ? 'peers' : 'tokens'}${how}; ${narrow}`,
        },
      };
    }
    const peer = matches[0]!;
    const who = `${peer.agent_id.display} (token ${peer.token_prefix}…)`;
    if (peer.revoked_at !== null) {
      refused({ outcome: 'already_revoked', agent: peer.agent_id });
      return {
        kind: 'peer_revoke',
        outcome: { type: 'already_revoked', peer: view(peer), matched_on: matchedOn, message: `${who} was already revoked ${formatTime(peer.revoked_at, ctx.clock.now())}${how}` },
      };
    }
    if (peer.token_hash === caller.tokenHash && !params.force) {
      refused({ outcome: 'self_revoke_forbidden' });
      const recovery =
        caller.role === 'operator'
          ? 'rotate it with `covenant peers rotate`, or pass --force (then recover with `covenantd --recover-operator`)'
          : 'pass --force to revoke it anyway (then ask the operator for a new token)';
      return {
        kind: 'peer_revoke',
        outcome: { type: 'self_revoke_forbidden', prefix: shown, code: 'E_FORBIDDEN', message: `this is the token you are using; ${recovery}` },
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
    return {
      kind: 'peer_revoke',
      outcome: {
        type: 'revoked',
        peer: view(revoked),
        connections_closed: closed,
        matched_on: matchedOn,
        message: `revoked ${who}${how}; ${closed} open connection(s) closed`,
      },
    };
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
