import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function pingCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'ping', {});
  return { json: { kind: 'daemon_ping', status: reply.status }, human: 'pong' };
}
