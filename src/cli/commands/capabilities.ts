import type { CommandOutcome, GlobalFlags } from '../output.js';
import { purgeParams, type PurgeFlags } from '../parsers.js';
import type { GrantFlags } from '../register/capabilities.js';
import { callDaemon } from '../session.js';

interface CapabilityView {
  id: string;
  subject: { display: string };
  action: string;
  granted_by: { display: string };
  expires_at: number | null;
  revoked_at: number | null;
}

export async function grantCommand(flags: GlobalFlags, act: string, options: GrantFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, {
    kind: 'capabilities_grant',
    action: act,
    ...(options.to ? { to: options.to } : {}),
    ...(options.scope ? { scope: options.scope } : {}),
    ...(options.expiresAt ? { expires_at: options.expiresAt } : {}),
    ...(options.expiresIn ? { expires_in_ms: options.expiresIn } : {}),
  });
  const expiry = reply.expires_at === null ? 'perpetual' : `expires ${Number(reply.expires_at)}`;
  return {
    json: reply,
    human: `granted ${String(reply.action)} to ${String(reply.subject_display)} [${expiry}] id ${String(reply.id)}`,
  };
}

export async function recentCommand(flags: GlobalFlags, limit: number): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'capabilities_recent', limit });
  const caps = reply.capabilities as CapabilityView[];
  const human = caps.map((c) => {
    const state = c.revoked_at !== null ? ' (revoked)' : '';
    const expiry = c.expires_at === null ? 'perpetual' : `expires ${c.expires_at}`;
    return `${c.subject.display} → ${c.action} (${c.granted_by.display}) [${expiry}]${state}`;
  });
  return { json: reply, human: human.length > 0 ? human : ['no capabilities'] };
}

export async function revokeCommand(flags: GlobalFlags, target: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'capabilities_revoke', id_or_signature: target });
  const removed = reply.removed as string[];
  return {
    json: reply,
    human: `revoked ${String(reply.id)}${removed.length > 1 ? ` and ${removed.length - 1} delegated from it` : ''}`,
  };
}

export async function purgeCommand(flags: GlobalFlags, options: PurgeFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'capabilities_purge', ...purgeParams(options) });
  return { json: reply, human: `purged ${String(reply.purged)} capability records older than ${String(reply.before_ms)}` };
}

export async function bootstrapCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'bootstrap' });
  const granted = reply.granted as string[];
  return { json: reply, human: granted.length > 0 ? `granted ${granted.join(', ')}` : 'the operator already holds the default set' };
}
