/**
 * The tools `covenant mcp serve` offers (SPEC 11): Covenant's own requests, with input schemas
 * derived from the request table's zod params (one definition), and every tool of `tools list`
 * proxied as `covenant_tool_<name>`. Each is one request through the daemon as the token's peer.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { REQUESTS, type ParamsInput, type RequestKind, type ResponseOf } from '../../protocol/index.js';
import type { DaemonLink } from './daemon-link.js';

export interface ServedTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** One daemon request for these arguments; a refusal throws `DaemonRefusal`. */
  run(link: DaemonLink, args: Record<string, unknown>): Promise<CallToolResult>;
}

type Content = CallToolResult['content'][number];

function own<K extends RequestKind>(name: string, kind: K, description: string): ServedTool {
  const schema = z.toJSONSchema(REQUESTS[kind].params, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return {
    name,
    description,
    inputSchema: schema,
    run: async (link, args) => {
      // The MCP client's arguments go to the daemon as they are: the daemon parses them against
      // the same schema and audits a refusal, so they are not checked twice.
      const reply = await link.call(kind, args as ParamsInput<K>);
      return { content: [{ type: 'text', text: JSON.stringify(reply) }], structuredContent: reply };
    },
  };
}

/** Covenant's own tools. (`covenant_a2a_send` comes with the A2A mailbox, which has no request kind yet.) */
export const OWN_TOOLS: ServedTool[] = [
  own('covenant_intent', 'submit_intent', 'Submit an intent (a task in plain words) to Covenant; needs intent.submit.'),
  own('covenant_memory_search', 'memory_search', 'Your memory records most similar to a query, best first; needs memory.read.'),
  own('covenant_memory_write', 'memory_write', 'Write a memory record; needs memory.write.'),
  own('covenant_audit_recent', 'audit_recent', 'The newest audit events you may read; needs audit.read.'),
];

export const PROXY_PREFIX = 'covenant_tool_';

function toolCallResult(reply: ResponseOf<'tools_call'>): CallToolResult {
  const content = reply.content.map((item): Content =>
    // MCP items are passed on as their server sent them; `json` is the built-in tools' own.
    item.type === 'json' ? { type: 'text', text: JSON.stringify(item.value) } : (item as Content),
  );
  const result: CallToolResult = { content, isError: reply.is_error };
  if (reply.structured_content !== undefined) result.structuredContent = reply.structured_content;
  return result;
}

export function proxiedTool(tool: ResponseOf<'tools_list'>['tools'][number]): ServedTool {
  return {
    name: `${PROXY_PREFIX}${tool.name}`,
    description: `${tool.description} (Covenant tool ${tool.name} from ${tool.server}; needs tool.call.${tool.name})`,
    inputSchema: tool.inputSchema,
    run: async (link, args) => toolCallResult(await link.call('tools_call', { name: tool.name, arguments: args })),
  };
}
