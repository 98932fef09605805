import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function consoleCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'console_code', {});
  return {
    json: reply,
    human: [
      reply.url,
      `Open it in a browser on this machine before ${new Date(reply.expires_at).toISOString()}: the code works once, for 2 minutes.`,
      'The console session it starts acts as the operator; `covenant peers list` shows it, `covenant peers revoke <prefix>` ends it.',
    ],
  };
}
