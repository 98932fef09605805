import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

interface ToolView {
  name: string;
  description: string;
  server: string;
}

type Content = { type: 'text'; text: string } | { type: 'json'; value: unknown };

export async function listCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'tools_list' });
  const tools = reply.tools as ToolView[];
  return { json: reply, human: tools.map((t) => `${t.name}\t${t.server}\t${t.description}`) };
}

export async function callCommand(flags: GlobalFlags, name: string, args: Record<string, unknown>): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'tools_call', name, arguments: args });
  const content = reply.content as Content[];
  return {
    json: reply,
    human: content.map((c) => (c.type === 'text' ? c.text : JSON.stringify(c.value))),
    exitCode: reply.is_error ? 1 : 0,
  };
}
