/**
 * The tools `covenant mcp serve` offers (SPEC 11): Covenant's own requests, with input schemas
 * derived from the request table's zod params (one definition), and every tool of `tools list`
 * proxied as `covenant_tool_<name>`. Each is one request through the daemon as the token's peer.
 */
import { z } from 'zod';
import { REQUESTS, type RequestKind } from '../../protocol/index.js';
import type { WireMessage } from '../../ipc/index.js';

export interface ServedTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  /** The daemon request for these arguments. */
  request(args: Record<string, unknown>): WireMessage;
}

function own(name: string, kind: RequestKind, description: string): ServedTool {
  const schema = z.toJSONSchema(REQUESTS[kind].params, { io: 'input' }) as Record<string, unknown>;
  delete schema.$schema;
  return { name, description, inputSchema: schema, request: (args) => ({ ...args, kind }) };
}

/** Covenant's own tools. (`covenant_a2a_send` comes with the A2A mailbox, which has no request kind yet.) */
export const OWN_TOOLS: ServedTool[] = [
  own('covenant_intent', 'submit_intent', 'Submit an intent (a task in plain words) to Covenant; needs intent.submit.'),
  own('covenant_memory_search', 'memory_search', 'Your memory records most similar to a query, best first; needs memory.read.'),
  own('covenant_memory_write', 'memory_write', 'Write a memory record; needs memory.write.'),
  own('covenant_audit_recent', 'audit_recent', 'The newest audit events you may read; needs audit.read.'),
];

export const PROXY_PREFIX = 'covenant_tool_';

export function proxiedTool(tool: { name: string; description: string; inputSchema: Record<string, unknown>; server: string }): ServedTool {
  return {
    name: `${PROXY_PREFIX}${tool.name}`,
    description: `${tool.description} (Covenant tool ${tool.name} from ${tool.server}; needs tool.call.${tool.name})`,
    inputSchema: tool.inputSchema,
    request: (args) => ({ kind: 'tools_call', name: tool.name, arguments: args }),
  };
}
