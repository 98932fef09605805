import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function pingCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'ping', {});
  return { json: { kind: 'daemon_ping', status: reply.status }, human: 'pong' };
}

function age(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return `${Math.floor(ms / 1000)}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  return hours < 48 ? `${hours}h ${minutes % 60}m` : `${Math.floor(hours / 24)}d ${hours % 24}h`;
}

export async function statusCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'status', {});
  const head = reply.audit_head;
  return {
    json: reply,
    human: [
      `covenantd ${reply.daemon_version} (protocol v${reply.protocol_version}), pid ${reply.pid}, up ${age(reply.uptime_ms)} since ${new Date(reply.started_at).toISOString()}`,
      `agents installed: ${reply.agents}`,
      `paused intents: ${reply.paused_intents}${reply.paused_intents > 0 ? ' (covenant intents list --status paused; covenant intents resume <id|latest>)' : ''}`,
      head ? `audit head: seq ${head.seq}, chain ${head.chain_hash.slice(0, 16)}…, at ${new Date(head.timestamp_ms).toISOString()}` : 'audit head: empty log',
    ],
  };
}
