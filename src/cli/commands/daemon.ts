import { formatDuration, formatTime } from '../../core/human-time.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function statusCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'status', {});
  const head = reply.audit_head;
  return {
    json: reply,
    human: [
      `covenantd ${reply.daemon_version} (protocol v${reply.protocol_version}), pid ${reply.pid}, up ${formatDuration(reply.uptime_ms)} since ${formatTime(reply.started_at)}`,
      `agents installed: ${reply.agents}`,
      `paused intents: ${reply.paused_intents}${reply.paused_intents > 0 ? ' (covenant intents list --status paused; covenant intents resume <id|latest>)' : ''}`,
      head ? `audit head: seq ${head.seq}, chain ${head.chain_hash.slice(0, 16)}…, at ${formatTime(head.timestamp_ms)}` : 'audit head: empty log',
    ],
  };
}
