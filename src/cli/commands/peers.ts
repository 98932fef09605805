import { formatTime } from '../../core/human-time.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { purgeParams, type PurgeFlags } from '../parsers.js';
import type { ListFlags, RevokeFlags } from '../register/peers.js';
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
      `registered ${formatTime(p.registered_at)}`,
      p.revoked_at === null ? 'live' : `revoked ${formatTime(p.revoked_at)}`,
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

export async function revokeCommand(flags: GlobalFlags, prefix: string, options: RevokeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'peers_revoke', {
    token_prefix: prefix,
    by_pubkey: options.byPubkey === true,
    force: options.force === true,
    limit_matches: options.limitMatches,
  });
  const { outcome } = reply;
  switch (outcome.type) {
    case 'revoked':
    case 'already_revoked':
      return { json: reply, human: outcome.message };
    case 'ambiguous':
      return {
        json: reply,
        refused: outcome,
        human: [
          ...outcome.matches.map((m) => `  ${m.token_prefix}…\t${m.agent_id.display}\t${m.agent_id.pubkey}\t${m.revoked_at === null ? 'live' : 'revoked'}`),
          ...(outcome.truncated ? ['  (more not shown; raise --limit-matches)'] : []),
        ],
      };
    case 'not_found':
    case 'self_revoke_forbidden':
      return { json: reply, refused: outcome, human: [] };
  }
}

export async function purgeCommand(flags: GlobalFlags, options: PurgeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'peers_purge', purgeParams(options));
  return { json: reply, human: `purged ${reply.purged} revoked peers older than ${formatTime(reply.before_ms)}` };
}
