import type { CommandOutcome, GlobalFlags } from '../output.js';
import { withProgress } from '../progress.js';
import { callDaemon } from '../session.js';

export async function intentCommand(flags: GlobalFlags, words: string[], options: { agent?: string }): Promise<CommandOutcome> {
  const request = callDaemon(flags, 'submit_intent', { text: words.join(' '), ...(options.agent ? { agent: options.agent } : {}) });
  const reply = await withProgress('waiting for the answer', request, { json: flags.json });
  const refs = reply.source_refs ?? reply.sources.map((id) => ({ id, source: null }));
  // The answer, then what it is grounded on: each source's record id and where the record came from.
  const human = refs.length === 0 ? reply.text : [reply.text, '', 'sources:', ...refs.map((ref, i) => `  [${i + 1}] ${ref.id}${ref.source === null ? '' : `  ${ref.source}`}`)];
  return { json: reply, human, exitCode: reply.status === 'ok' || reply.status === 'unrouted' ? 0 : 1 };
}
