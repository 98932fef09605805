import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

const ToolName = z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, 'letters, digits, _ and - only');

export const ToolContentSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), text: z.string() }),
  z.strictObject({ type: z.literal('json'), value: z.unknown() }),
]);

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
});

export const toolsCall = defineRequest({
  kind: 'tools_call',
  summary: 'Call a tool; needs tool.call.<name> (its scope may pin arguments).',
  params: z.object({ name: ToolName, arguments: z.record(z.string(), z.unknown()).default({}) }),
  response: z.strictObject({ kind: z.literal('tool_result'), name: z.string(), content: z.array(ToolContentSchema), is_error: z.boolean() }),
  authorize: (params) => ({ action: `tool.call.${params.name}`, facts: { arguments: params.arguments } }),
  http: { method: 'POST', path: '/tools/call' },
  mutates: true,
});
