import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function intentCommand(flags: GlobalFlags, words: string[], options: { agent?: string }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'submit_intent', { text: words.join(' '), ...(options.agent ? { agent: options.agent } : {}) });
  return { json: reply, human: reply.text, exitCode: reply.status === 'ok' || reply.status === 'unrouted' ? 0 : 1 };
}
