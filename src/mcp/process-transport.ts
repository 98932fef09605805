/**
 * The stdio transport to one MCP server (SPEC 11). The SDK's own StdioClientTransport inherits
 * stderr, passes its own environment defaults, caps messages at 10 MiB and ends only the direct
 * child; this one starts the server as the leader of its own process group with an allowlisted
 * environment, sends stderr to the server's bounded log, caps a message at 16 MiB (a larger one
 * closes the transport), and stops the whole group. Framing is the SDK's (ReadBuffer,
 * serializeMessage): no hand-written JSON-RPC.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { ReadBuffer, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { signalGroup } from '../runtime/index.js';
import { stopGroup } from './process-group.js';
import type { StderrLog } from './stderr-log.js';

export const MAX_MCP_MESSAGE_BYTES = 16 * 1024 * 1024;
/** The only variables of the daemon's environment a server sees; its config `env` adds to them. */
export const ENV_ALLOWLIST = ['PATH', 'HOME', 'LANG', 'TERM', 'USER'] as const;

export function serverEnvironment(daemonEnv: NodeJS.ProcessEnv, own: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const key of ENV_ALLOWLIST) {
    const value = daemonEnv[key];
    if (value !== undefined) env[key] = value;
  }
  return { ...env, ...own };
}

export interface ProcessTransportOptions {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  log: StderrLog;
  maxMessageBytes?: number;
  killGraceMs?: number;
}

export class ProcessTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private child: ChildProcess | null = null;
  private readonly buffer = new ReadBuffer({ maxBufferSize: Number.MAX_SAFE_INTEGER });
  private readonly maxMessageBytes: number;
  /** Chunks of the line not yet complete, gathered here so a large message is joined once. */
  private partial: Buffer[] = [];
  private partialBytes = 0;
  private closed = false;
  /** Why the transport closed when Covenant did not ask it to (exit status, oversized message). */
  closeReason: string | null = null;

  constructor(private readonly options: ProcessTransportOptions) {
    this.maxMessageBytes = options.maxMessageBytes ?? MAX_MCP_MESSAGE_BYTES;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  start(): Promise<void> {
    const { command, args, cwd, env, log } = this.options;
    return new Promise((resolve, reject) => {
      const child = spawn(command, args, { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
      this.child = child;
      child.once('error', (error) => {
        log.note(`cannot start ${command}: ${error.message}`);
        this.finish(`cannot start ${command}: ${error.message}`);
        reject(error);
      });
      child.once('spawn', () => {
        log.note(`started ${command} (pid ${child.pid})`);
        resolve();
      });
      child.once('exit', (code, signal) => {
        const how = signal === null ? `exit code ${code}` : `signal ${signal}`;
        log.note(`server exited (${how})`);
        // The leader is gone; anything it left in its group goes with it.
        if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
        this.finish(`the server exited (${how})`);
      });
      child.stdout?.on('data', (chunk: Buffer) => this.receive(chunk));
      child.stderr?.on('data', (chunk: Buffer) => log.write(chunk));
      child.stdin?.on('error', () => {
        // EPIPE after the server died: the exit handler reports it
      });
    });
  }

  /**
   * The SDK's ReadBuffer joins every chunk and scans the whole buffer for a newline on each one,
   * which is quadratic: a 16 MiB line costs seconds of CPU. So chunks of an incomplete line are
   * kept here, the 16 MiB cap is enforced on the line as it grows, and ReadBuffer gets only
   * complete lines.
   */
  private receive(chunk: Buffer): void {
    if (this.closed) return;
    const firstNewline = chunk.indexOf(0x0a);
    if (firstNewline === -1) {
      this.partial.push(chunk);
      this.partialBytes += chunk.length;
      if (this.partialBytes > this.maxMessageBytes) this.overflow();
      return;
    }
    // Every line ending in this chunk, the first one with the bytes carried over, is within the cap.
    let carried = this.partialBytes;
    for (let start = 0, end = firstNewline; end !== -1; start = end + 1, end = chunk.indexOf(0x0a, start)) {
      if (carried + end - start > this.maxMessageBytes) return this.overflow();
      carried = 0;
    }
    const lastNewline = chunk.lastIndexOf(0x0a);
    const complete = Buffer.concat([...this.partial, chunk.subarray(0, lastNewline + 1)]);
    const rest = chunk.subarray(lastNewline + 1);
    this.partial = rest.length > 0 ? [rest] : [];
    this.partialBytes = rest.length;
    this.buffer.append(complete);
    this.drain();
    if (this.partialBytes > this.maxMessageBytes) this.overflow();
  }

  /** Hands the complete lines to the client. */
  private drain(): void {
    for (;;) {
      let message: JSONRPCMessage | null;
      try {
        message = this.buffer.readMessage();
      } catch (error) {
        // Not JSON-RPC (a server printing to stdout): skipped, noted in its log.
        this.options.log.note(`ignored a line on stdout that is not JSON-RPC: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`);
        continue;
      }
      if (message === null) return;
      this.onmessage?.(message);
    }
  }

  private overflow(): void {
    this.options.log.note(`a message over ${this.maxMessageBytes} bytes: closing the transport`);
    this.closeReason = `the server sent a message over ${this.maxMessageBytes} bytes`;
    this.partial = [];
    this.partialBytes = 0;
    this.buffer.clear();
    void this.close();
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.child?.stdin;
    if (this.closed || !stdin || stdin.destroyed) return Promise.reject(new Error('the MCP server transport is closed'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', resolve);
    });
  }

  async close(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      await stopGroup(child, this.options.killGraceMs);
    }
    this.finish(this.closeReason ?? 'closed by covenant');
  }

  private finish(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason ??= reason;
    this.buffer.clear();
    this.partial = [];
    this.onclose?.();
  }
}
