import { shortId } from '../../core/id-prefix.js';
import { formatTime } from '../../core/human-time.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { purgeParams, type PurgeFlags } from '../parsers.js';
import type { GrantFlags } from '../register/capabilities.js';
import { callDaemon } from '../session.js';

export async function grantCommand(flags: GlobalFlags, act: string, options: GrantFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'capabilities_grant', {
    action: act,
    ...(options.to ? { to: options.to } : {}),
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
    ...(options.expiresIn ? { expires_in_ms: options.expiresIn } : {}),
    ...(options.allowUnknownAction ? { allow_unknown_action: true } : {}),
  });
  const expiry = reply.expires_at === null ? 'perpetual' : `expires ${formatTime(reply.expires_at)}`;
  return { json: reply, human: `granted ${reply.action} to ${reply.subject_display} [${expiry}] id ${reply.id}` };
}

export async function recentCommand(flags: GlobalFlags, limit: number): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'capabilities_recent', { limit });
  const human = reply.capabilities.map((c) => {
    const state = c.revoked_at !== null ? ' (revoked)' : '';
    const expiry = c.expires_at === null ? 'perpetual' : `expires ${formatTime(c.expires_at)}`;
    return `${shortId(c.id)}  ${c.subject.display} → ${c.action} (${c.granted_by.display}) [${expiry}]${state}`;
  });
  return { json: reply, human: human.length > 0 ? human : ['no capabilities'] };
}

export async function revokeCommand(flags: GlobalFlags, target: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'capabilities_revoke', { id_or_signature: target });
  const delegated = reply.removed.length > 1 ? ` and ${reply.removed.length - 1} delegated from it` : '';
  return { json: reply, human: `revoked ${reply.id}${delegated}` };
}

export async function purgeCommand(flags: GlobalFlags, options: PurgeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'capabilities_purge', purgeParams(options));
  return { json: reply, human: `purged ${reply.purged} capability records older than ${formatTime(reply.before_ms)}` };
}

export async function bootstrapCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'bootstrap', {});
  return { json: reply, human: reply.granted.length > 0 ? `granted ${reply.granted.join(', ')}` : 'the operator already holds the default set' };
}
