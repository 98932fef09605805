/**
 * One live session with an MCP server: the SDK's Client over a ProcessTransport (SPEC 11).
 * The supervisor sees only the McpConnection interface, so its state machine is tested with a
 * fake connection and a driven clock.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ToolListChangedNotificationSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { McpServerConfig } from './config.js';
import { ProcessTransport, serverEnvironment } from './process-transport.js';
import type { StderrLog } from './stderr-log.js';

export type McpTool = Tool;
export type McpCallResult = CallToolResult;

export interface McpConnection {
  /** Every page of tools/list. */
  listTools(timeoutMs: number): Promise<McpTool[]>;
  callTool(name: string, args: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs: number }): Promise<McpCallResult>;
  /** Ends the session and the server's whole process group. */
  close(): Promise<void>;
  /** True once the transport closed (the server exited, or a message broke the cap). */
  isClosed(): boolean;
  onClose(listener: (reason: string) => void): void;
  onToolsChanged(listener: () => void): void;
  readonly pid: number | undefined;
}

export interface ConnectOptions {
  config: McpServerConfig;
  cwd: string;
  daemonEnv: NodeJS.ProcessEnv;
  log: StderrLog;
  clientVersion: string;
}

const MAX_TOOL_PAGES = 100;

/** Starts the server and runs initialize within `startup_timeout_ms`; on failure the group is stopped. */
export async function connectMcpServer(options: ConnectOptions): Promise<McpConnection> {
  const { config, log } = options;
  const transport = new ProcessTransport({
    command: config.command,
    args: config.args,
    cwd: config.cwd ?? options.cwd,
    env: serverEnvironment(options.daemonEnv, config.env),
    log,
  });
  const client = new Client({ name: 'covenant', version: options.clientVersion }, { capabilities: {} });
  const closeListeners: Array<(reason: string) => void> = [];
  const changeListeners: Array<() => void> = [];
  client.onclose = () => {
    for (const listener of closeListeners) listener(transport.closeReason ?? 'the transport closed');
  };
  client.onerror = () => {
    // protocol noise (a bad notification, a late response) is not fatal; exits are reported by onclose
  };
  try {
    await client.connect(transport, { timeout: config.startup_timeout_ms });
  } catch (error) {
    await transport.close();
    throw new Error(startFailure(error, transport, config), { cause: error });
  }
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => {
    for (const listener of changeListeners) listener();
  });
  return {
    pid: transport.pid,
    async listTools(timeoutMs) {
      const tools: McpTool[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_TOOL_PAGES; page++) {
        const result = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout: timeoutMs });
        tools.push(...result.tools);
        cursor = result.nextCursor;
        if (cursor === undefined) return tools;
      }
      throw new Error(`tools/list returned more than ${MAX_TOOL_PAGES} pages`);
    },
    async callTool(name, args, { signal, timeoutMs }) {
      // The SDK sends notifications/cancelled when `signal` aborts; its own timeout is a backstop.
      const result = await client.callTool({ name, arguments: args }, undefined, { signal, timeout: timeoutMs + 5000 });
      return result as McpCallResult;
    },
    close: () => client.close(),
    isClosed: () => transport.isClosed,
    onClose: (listener) => closeListeners.push(listener),
    onToolsChanged: (listener) => changeListeners.push(listener),
  };
}

function startFailure(error: unknown, transport: ProcessTransport, config: McpServerConfig): string {
  const message = error instanceof Error ? error.message : String(error);
  if (/timed out/i.test(message)) return `did not answer initialize within ${config.startup_timeout_ms} ms (startup_timeout_ms)`;
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') return `cannot start ${JSON.stringify(config.command)}: no such program (check command and PATH)`;
  if ((error as NodeJS.ErrnoException).code === 'EACCES') return `cannot start ${JSON.stringify(config.command)}: permission denied`;
  if (transport.closeReason !== null) return `initialize failed: ${transport.closeReason}`;
  return `initialize failed: ${message}`;
}
