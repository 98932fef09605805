import type { CommandOutcome, GlobalFlags } from '../output.js';
import { purgeParams, type PurgeFlags } from '../parsers.js';
import type { ListFlags } from '../register/peers.js';
import { callDaemon } from '../session.js';

export async function addCommand(flags: GlobalFlags, name: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'peers_add', { name });
  const agent = reply.agent_id;
  return {
    json: reply,
    human: [`added ${agent.display} (${agent.pubkey})`, `token (shown once, store it now): ${reply.token_b58}`],
  };
}

export async function listCommand(flags: GlobalFlags, options: ListFlags): Promise<CommandOutcome> {
  const status = options.liveOnly ? 'live' : options.revokedOnly ? 'revoked' : 'all';
  const reply = await callDaemon(flags, 'peers_list', {
    limit: options.limit,
    status,
    ...(options.prefix ? { prefix: options.prefix } : {}),
  });
  const operator = reply.operator_pubkey_b58;
  const { peers } = reply;
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
  const reply = await callDaemon(flags, 'peers_rotate', {});
  return {
    json: reply,
    human: [
      `operator token rotated: ${reply.old_prefix}… revoked, ${reply.new_prefix}… written to peers/operator.token`,
      `new token (shown once): ${reply.token_b58}`,
    ],
  };
}

export async function revokeCommand(flags: GlobalFlags, prefix: string, options: { force?: boolean; limitMatches: number }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'peers_revoke', {
    token_prefix: prefix,
    force: options.force === true,
    limit_matches: options.limitMatches,
  });
  const { outcome } = reply;
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
  const reply = await callDaemon(flags, 'peers_purge', purgeParams(options));
  return { json: reply, human: `purged ${reply.purged} revoked peers older than ${reply.before_ms}` };
}
