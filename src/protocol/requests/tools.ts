import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

const ToolName = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'letters, digits, _ and - only');
const ServerName = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only');

/**
 * Content items pass through with their MCP types (SPEC 11); `json` is the built-in tools' own.
 * MCP items stay loose: they may carry `annotations` and `_meta`, which are passed through too.
 */
export const ToolContentSchema = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('text'), text: z.string() }),
  z.strictObject({ type: z.literal('json'), value: z.unknown() }),
  z.looseObject({ type: z.literal('image'), data: z.string(), mimeType: z.string() }),
  z.looseObject({ type: z.literal('audio'), data: z.string(), mimeType: z.string() }),
  z.looseObject({ type: z.literal('resource'), resource: z.record(z.string(), z.unknown()) }),
  z.looseObject({ type: z.literal('resource_link'), uri: z.string(), name: z.string() }),
]);

export const TOOL_SERVER_STATES = ['starting', 'up', 'backoff', 'failed', 'disabled'] as const;

export const ToolServerSchema = z.strictObject({
  name: z.string(),
  state: z.enum(TOOL_SERVER_STATES),
  restarts: z.number().int().nonnegative(),
  last_error: z.string().nullable(),
  /** Advertised names of the tools it contributes. */
  tools: z.array(z.string()),
  /** Calls sent to it and not yet answered. */
  calls_in_flight: z.number().int().nonnegative(),
});

export type ToolContent = z.infer<typeof ToolContentSchema>;
export type ToolServerView = z.infer<typeof ToolServerSchema>;

export const toolsList = defineRequest({
  kind: 'tools_list',
  summary: 'Every tool the daemon can call, with its input schema.',
  params: z.object({}),
  response: z.strictObject({
    kind: z.literal('tool_list'),
    tools: z.array(
      z.strictObject({ name: z.string(), description: z.string(), inputSchema: z.record(z.string(), z.unknown()), server: z.string() }),
    ),
  }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/tools' },
  mutates: false,
  requestRows: false,
});

export const toolsCall = defineRequest({
  kind: 'tools_call',
  summary: 'Call a tool; needs tool.call.<name> (its scope may pin arguments).',
  params: z.object({ name: ToolName, arguments: z.record(z.string(), z.unknown()).default({}) }),
  response: z.strictObject({
    kind: z.literal('tool_result'),
    name: z.string(),
    content: z.array(ToolContentSchema),
    structured_content: z.record(z.string(), z.unknown()).optional(),
    is_error: z.boolean(),
  }),
  authorize: (params) => ({ action: `tool.call.${params.name}`, facts: { arguments: params.arguments } }),
  http: { method: 'POST', path: '/tools/call' },
  mutates: true,
});

export const toolsServers = defineRequest({
  kind: 'tools_servers',
  summary: 'The configured MCP servers: state, restarts, last error, tools. Operator only (errors name paths of the host).',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('tool_servers'), servers: z.array(ToolServerSchema) }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'GET', path: '/tools/servers' },
  mutates: false,
  requestRows: false,
});

export const toolsRestart = defineRequest({
  kind: 'tools_restart',
  summary: 'Restart an MCP server with its current config.toml entry (clears a failed state); needs tools.restart.',
  params: z.object({ server: ServerName }),
  response: z.strictObject({ kind: z.literal('tool_server_restarted'), server: ToolServerSchema }),
  authorize: () => ({ action: 'tools.restart' }),
  http: { method: 'POST', path: '/tools/restart' },
  mutates: true,
});
