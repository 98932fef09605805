/** A tool advertised by an MCP server, as the registry sees it (SPEC 11). */
import { jsonSchemaValidator } from './argument-validator.js';
import type { McpCallResult, McpTool } from './connection.js';
import type { ServerSupervisor } from './server-supervisor.js';
import type { ToolContent, ToolDefinition, ToolOutput } from './tool.js';

/** Names callers use: tool.call.<name> is a dotted capability action, so dots and spaces are out. */
export const ADVERTISED_NAME = /^[A-Za-z0-9_-]{1,128}$/;

export function advertisedName(prefix: string | undefined, remote: string): string {
  return prefix === undefined ? remote : `mcp_${prefix}_${remote}`;
}

/** Content items pass through with their types; unknown future types become text saying so. */
function contentOf(item: McpCallResult['content'][number]): ToolContent {
  switch (item.type) {
    case 'text':
    case 'image':
    case 'audio':
    case 'resource':
    case 'resource_link':
      return item;
    default:
      return { type: 'text', text: `[content of type ${JSON.stringify((item as { type: unknown }).type)} not passed through]` };
  }
}

export function toolOutput(result: McpCallResult): ToolOutput {
  const output: ToolOutput = { content: (result.content ?? []).map(contentOf), is_error: result.isError === true };
  if (result.structuredContent !== undefined) output.structured_content = result.structuredContent;
  return output;
}

export function remoteTool(supervisor: ServerSupervisor, tool: McpTool, name: string): ToolDefinition {
  const inputSchema = tool.inputSchema as Record<string, unknown>;
  const timeoutMs = supervisor.config.call_timeout_ms;
  return {
    name,
    description: tool.description ?? tool.title ?? '',
    server: supervisor.name,
    inputSchema,
    timeoutMs,
    validate: jsonSchemaValidator(inputSchema),
    call: async (args, signal) => toolOutput(await supervisor.call(tool.name, args, { signal, timeoutMs })),
  };
}
