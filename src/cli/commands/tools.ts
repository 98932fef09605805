import type { ResponseOf, ToolContent, ToolServerView } from '../../protocol/index.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

export async function listCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'tools_list', {});
  return { json: reply, human: reply.tools.map((t) => `${t.name}\t${t.server}\t${t.description}`) };
}

function humanContent(c: ToolContent): string {
  switch (c.type) {
    case 'text':
      return c.text;
    case 'json':
      return JSON.stringify(c.value);
    case 'image':
    case 'audio':
      return `[${c.type} ${c.mimeType}]`;
    case 'resource_link':
      return `[resource_link ${c.uri}]`;
    case 'resource':
      return `[resource ${typeof c.resource.uri === 'string' ? c.resource.uri : ''}]`;
  }
}

export async function callCommand(flags: GlobalFlags, name: string, args: Record<string, unknown>): Promise<CommandOutcome> {
  const reply: ResponseOf<'tools_call'> = await callDaemon(flags, 'tools_call', { name, arguments: args });
  const structured = reply.structured_content === undefined ? [] : [JSON.stringify(reply.structured_content)];
  return { json: reply, human: [...reply.content.map(humanContent), ...structured], exitCode: reply.is_error ? 1 : 0 };
}

function serverLine(s: ToolServerView): string {
  const error = s.last_error === null ? '' : `\t${s.last_error}`;
  return `${s.name}\t${s.state}\t${s.tools.length} tools\t${s.restarts} restarts${error}`;
}

export async function serversCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'tools_servers', {});
  return { json: reply, human: reply.servers.length === 0 ? ['no MCP servers configured ([[mcp.server]] in config.toml)'] : reply.servers.map(serverLine) };
}

export async function restartCommand(flags: GlobalFlags, server: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'tools_restart', { server });
  return { json: reply, human: [serverLine(reply.server)] };
}
