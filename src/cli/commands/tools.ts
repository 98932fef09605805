import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function listCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'tools_list', {});
  return { json: reply, human: reply.tools.map((t) => `${t.name}\t${t.server}\t${t.description}`) };
}

export async function callCommand(flags: GlobalFlags, name: string, args: Record<string, unknown>): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'tools_call', { name, arguments: args });
  return {
    json: reply,
    human: reply.content.map((c) => (c.type === 'text' ? c.text : JSON.stringify(c.value))),
    exitCode: reply.is_error ? 1 : 0,
  };
}
