import type { CommandOutcome, GlobalFlags } from '../output.js';
import { withProgress } from '../progress.js';
import { callDaemon } from '../session.js';

export async function intentCommand(flags: GlobalFlags, words: string[], options: { agent?: string }): Promise<CommandOutcome> {
  const request = callDaemon(flags, 'submit_intent', { text: words.join(' '), ...(options.agent ? { agent: options.agent } : {}) });
  const reply = await withProgress('waiting for the answer', request, { json: flags.json });
  return { json: reply, human: reply.text, exitCode: reply.status === 'ok' || reply.status === 'unrouted' ? 0 : 1 };
}
