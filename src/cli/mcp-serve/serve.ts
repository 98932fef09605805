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
import { DaemonRefusal } from '../../ipc/index.js';
import type { GlobalFlags } from '../output.js';
import { OWN_TOOLS, proxiedTool, type ServedTool } from './covenant-tools.js';
import { DaemonLink } from './daemon-link.js';

function errorResult(code: string, message: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text: `${code}: ${message}` }] };
}

/** A refusal (its code and the daemon's advice, which names the grant command) or a lost daemon. */
function describe(error: unknown): CallToolResult {
  const code = error instanceof Error && 'code' in error && typeof error.code === 'string' ? error.code : 'E_INTERNAL';
  return errorResult(code, error instanceof Error ? error.message : String(error));
}

export async function serveMcp(flags: GlobalFlags): Promise<number> {
  const link = new DaemonLink(flags);
  // The tool list is fetched at each tools/list; a call looks in the last list and fetches a new
  // one only for a name it does not know (so a call is one request, not two).
  let known: ServedTool[] = [];
  const refresh = async (): Promise<ServedTool[]> => {
    let tools: Parameters<typeof proxiedTool>[0][] = [];
    try {
      ({ tools } = await link.call('tools_list', {}));
    } catch (error) {
      if (!(error instanceof DaemonRefusal)) throw error; // a lost daemon is the caller's error
    }
    known = [...OWN_TOOLS, ...tools.map(proxiedTool)];
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
      return await tool.run(link, request.params.arguments ?? {});
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
