import type { CommandOutcome, GlobalFlags } from '../output.js';
import { purgeParams, type PurgeFlags } from '../parsers.js';
import type { ListFlags } from '../register/peers.js';
import { callDaemon } from '../session.js';

interface PeerView {
  agent_id: { display: string; pubkey: string };
  token_prefix: string;
  registered_at: number;
  revoked_at: number | null;
}

export async function addCommand(flags: GlobalFlags, name: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'peers_add', name });
  const agent = reply.agent_id as { display: string; pubkey: string };
  return {
    json: reply,
    human: [`added ${agent.display} (${agent.pubkey})`, `token (shown once, store it now): ${String(reply.token_b58)}`],
  };
}

export async function listCommand(flags: GlobalFlags, options: ListFlags): Promise<CommandOutcome> {
  const status = options.liveOnly ? 'live' : options.revokedOnly ? 'revoked' : 'all';
  const reply = await callDaemon(flags, {
    kind: 'peers_list',
    limit: options.limit,
    status,
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
  const operator = String(reply.operator_pubkey_b58);
  const peers = reply.peers as PeerView[];
  const human = peers.map((p) =>
    [
      `${p.agent_id.display}${p.agent_id.pubkey === operator ? ' (self)' : ''}`,
      p.agent_id.pubkey,
      `${p.token_prefix}…`,
      `registered@${p.registered_at}`,
      p.revoked_at === null ? 'live' : `revoked@${p.revoked_at}`,
    ].join('\t'),
  );
  if (reply.truncated) {
    human.push(`(truncated; ${peers.length} shown — narrow with --prefix or raise --limit)`);
  }
  return { json: reply, human };
}

export async function rotateCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'peers_rotate' });
  return {
    json: reply,
    human: [
      `operator token rotated: ${String(reply.old_prefix)}… revoked, ${String(reply.new_prefix)}… written to peers/operator.token`,
      `new token (shown once): ${String(reply.token_b58)}`,
    ],
  };
}

type RevokeOutcome =
  | { type: 'revoked'; peer: PeerView; connections_closed: number }
  | { type: 'already_revoked'; peer: PeerView }
  | { type: 'not_found'; prefix: string }
  | { type: 'ambiguous'; prefix: string; matches: PeerView[]; truncated: boolean }
  | { type: 'self_revoke_forbidden'; prefix: string; message: string };

export async function revokeCommand(flags: GlobalFlags, prefix: string, options: { force?: boolean; limitMatches: number }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, {
    kind: 'peers_revoke',
    token_prefix: prefix,
    force: options.force === true,
    limit_matches: options.limitMatches,
  });
  const outcome = reply.outcome as RevokeOutcome;
  switch (outcome.type) {
    case 'revoked':
      return {
        json: reply,
        human: `revoked ${outcome.peer.agent_id.display} (${outcome.peer.token_prefix}…); ${outcome.connections_closed} open connection(s) closed`,
      };
    case 'already_revoked':
      return { json: reply, human: `${outcome.peer.agent_id.display} (${outcome.peer.token_prefix}…) was already revoked at ${outcome.peer.revoked_at}` };
    case 'not_found':
      return { json: reply, human: `no token starts with ${outcome.prefix}; see \`covenant peers list\``, exitCode: 1 };
    case 'ambiguous':
      return {
        json: reply,
        human: [
          `${outcome.prefix} matches more than one token; give a longer prefix:`,
          ...outcome.matches.map((m) => `  ${m.token_prefix}…\t${m.agent_id.display}`),
          ...(outcome.truncated ? ['  (more not shown; raise --limit-matches)'] : []),
        ],
        exitCode: 1,
      };
    case 'self_revoke_forbidden':
      return { json: reply, human: `refused: ${outcome.message}`, exitCode: 1 };
  }
}

export async function purgeCommand(flags: GlobalFlags, options: PurgeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'peers_purge', ...purgeParams(options) });
  return { json: reply, human: `purged ${String(reply.purged)} revoked peers older than ${String(reply.before_ms)}` };
}
