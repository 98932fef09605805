import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function ignoreCheckCommand(flags: GlobalFlags, words: string[], options: { agent?: string }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'ignore_check', { text: words.join(' '), ...(options.agent ? { agent: options.agent } : {}) });
  const human = reply.ignored
    ? [`ignored by .covenantignore rule: ${String(reply.matched_rule)} (${String(reply.source)}, path ${reply.matched_path ?? '?'})`]
    : [`not ignored (${reply.rules_loaded} rules loaded)`];
  for (const rule of reply.refused_overrides ?? []) human.push(`refused agent override: ${rule} (it would un-ignore a home rule)`);
  return { json: reply, human, exitCode: reply.ignored ? 1 : 0 };
}
