/**
 * `covenant mcp serve` (SPEC 11): Covenant as an MCP server on stdio, with the SDK's server.
 * stdout carries the protocol only; diagnostics go to stderr. A refusal from the daemon is an
 * `isError` result whose text is the daemon's message (it names the missing capability and the
 * grant command). The process exits when its stdin closes.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { COVENANT_VERSION } from '../../core/version.js';
import type { WireMessage } from '../../ipc/index.js';
import type { GlobalFlags } from '../output.js';
import { OWN_TOOLS, proxiedTool, type ServedTool } from './covenant-tools.js';
import { DaemonLink } from './daemon-link.js';

type Content = CallToolResult['content'][number];

function errorResult(code: string, message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }] };
}

function toolCallResult(reply: WireMessage): CallToolResult {
  const items = (reply.content as Array<{ type: string; value?: unknown }>).map(
    (item): Content => (item.type === 'json' ? { type: 'text', text: JSON.stringify(item.value) } : (item as Content)),
  );
  const result: CallToolResult = { content: items, isError: reply.is_error === true };
  if (reply.structured_content !== undefined) result.structuredContent = reply.structured_content as Record<string, unknown>;
  return result;
}

function answerResult(reply: WireMessage): CallToolResult {
  if (reply.kind === 'error') return errorResult(String(reply.code), String(reply.message));
  if (reply.kind === 'tool_result') return toolCallResult(reply);
  return { content: [{ type: 'text', text: JSON.stringify(reply) }], structuredContent: reply };
}

function describe(error: unknown): CallToolResult {
  const code = typeof (error as { code?: unknown }).code === 'string' ? String((error as { code: string }).code) : 'E_INTERNAL';
  return errorResult(code, error instanceof Error ? error.message : String(error));
}

export async function serveMcp(flags: GlobalFlags): Promise<number> {
  const link = new DaemonLink(flags);
  // The tool list is fetched at each tools/list; a call looks in the last list and fetches a new
  // one only for a name it does not know (so a call is one request, not two).
  let known: ServedTool[] = [];
  const refresh = async (): Promise<ServedTool[]> => {
    const reply = await link.request({ kind: 'tools_list' });
    const listed = reply.kind === 'tool_list' ? (reply.tools as Array<{ name: string; description: string; inputSchema: Record<string, unknown>; server: string }>) : [];
    known = [...OWN_TOOLS, ...listed.map(proxiedTool)];
    return known;
  };
  const server = new Server({ name: 'covenant', version: COVENANT_VERSION }, { capabilities: { tools: {} } });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({
    tools: (await refresh()).map((t) => ({ name: t.name, description: t.description, inputSchema: t.inputSchema as { type: 'object' } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request) => {
    try {
      const named = (list: ServedTool[]) => list.find((t) => t.name === request.params.name);
      const tool = named(known) ?? named(await refresh());
      if (!tool) return errorResult('E_NOT_FOUND', `no tool named ${request.params.name}; list them with tools/list`);
      return answerResult(await link.request(tool.request(request.params.arguments ?? {})));
    } catch (error) {
      return describe(error);
    }
  });
  server.onerror = (error) => process.stderr.write(`covenant mcp serve: ${error.message}\n`);
  const transport = new StdioServerTransport();
  const stdinClosed = new Promise<void>((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
  await server.connect(transport);
  process.stderr.write(`covenant mcp serve: serving on stdio (covenant ${COVENANT_VERSION})\n`);
  // The SDK's stdio server does not end when its input does; this command does.
  await stdinClosed;
  await server.close();
  link.close();
  return 0;
}
