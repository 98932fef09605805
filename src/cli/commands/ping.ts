import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

/** Its own module: a hot command (hot-commands.ts) loads nothing it does not use. */
export async function pingCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'ping', {});
  return { json: { kind: 'daemon_ping', status: reply.status }, human: 'pong' };
}
