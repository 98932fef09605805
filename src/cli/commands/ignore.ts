import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function ignoreCheckCommand(flags: GlobalFlags, words: string[], options: { agent?: string }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'ignore_check', text: words.join(' '), ...(options.agent ? { agent: options.agent } : {}) });
  const { id: _id, ...json } = reply;
  const refused = (reply.refused_overrides as string[] | undefined) ?? [];
  const human = reply.ignored
    ? [`ignored by .covenantignore rule: ${String(reply.matched_rule)} (${String(reply.source)}, path ${typeof reply.matched_path === 'string' ? reply.matched_path : '?'})`]
    : [`not ignored (${String(reply.rules_loaded)} rules loaded)`];
  for (const rule of refused) human.push(`refused agent override: ${rule} (it would un-ignore a home rule)`);
  return { json: json, human, exitCode: reply.ignored ? 1 : 0 };
}
