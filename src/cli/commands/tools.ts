import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

interface ToolView {
  name: string;
  description: string;
  server: string;
}

interface ServerView {
  name: string;
  state: string;
  restarts: number;
  last_error: string | null;
  tools: string[];
}

type Content = { type: string; text?: string; value?: unknown; mimeType?: string; uri?: string; resource?: { uri?: string } };

export async function listCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'tools_list' });
  const tools = reply.tools as ToolView[];
  return { json: reply, human: tools.map((t) => `${t.name}\t${t.server}\t${t.description}`) };
}

function humanContent(c: Content): string {
  if (c.type === 'text') return String(c.text);
  if (c.type === 'json') return JSON.stringify(c.value);
  if (c.type === 'image' || c.type === 'audio') return `[${c.type} ${c.mimeType ?? ''}]`;
  if (c.type === 'resource_link') return `[resource_link ${c.uri ?? ''}]`;
  if (c.type === 'resource') return `[resource ${c.resource?.uri ?? ''}]`;
  return `[${c.type}]`;
}

export async function callCommand(flags: GlobalFlags, name: string, args: Record<string, unknown>): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'tools_call', name, arguments: args });
  const content = reply.content as Content[];
  const structured = reply.structured_content === undefined ? [] : [JSON.stringify(reply.structured_content)];
  return { json: reply, human: [...content.map(humanContent), ...structured], exitCode: reply.is_error ? 1 : 0 };
}

function serverLine(s: ServerView): string {
  const error = s.last_error === null ? '' : `\t${s.last_error}`;
  return `${s.name}\t${s.state}\t${s.tools.length} tools\t${s.restarts} restarts${error}`;
}

export async function serversCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'tools_servers' });
  const servers = reply.servers as ServerView[];
  return { json: reply, human: servers.length === 0 ? ['no MCP servers configured ([[mcp.server]] in config.toml)'] : servers.map(serverLine) };
}

export async function restartCommand(flags: GlobalFlags, server: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'tools_restart', server });
  const view = reply.server as ServerView;
  return { json: reply, human: [serverLine(view)] };
}
