/**
 * The supervisor of one MCP server (SPEC 11): states `starting|up|backoff|failed|disabled`,
 * restart with backoff and jitter, the crash-loop breaker, and a generation fence so nothing of
 * an old session (a late exit, a late tool list) touches the new one. A call in flight when the
 * server dies answers E_TOOL_SERVER_CRASHED and is never replayed. Time and randomness are
 * injected, so the state machine is tested by driving them.
 */
import { McpError, ErrorCode as McpErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { CovenantError } from '../core/index.js';
import type { TOOL_SERVER_STATES } from '../protocol/index.js';
import { backoffDelayMs, CRASH_LOOP_LIMIT, CRASH_LOOP_WINDOW_MS, CrashWindow } from './backoff.js';
import type { McpServerConfig } from './config.js';
import type { McpCallResult, McpConnection, McpTool } from './connection.js';

export type ServerState = (typeof TOOL_SERVER_STATES)[number];

export interface SupervisorTimers {
  set(fn: () => void, ms: number): unknown;
  clear(handle: unknown): void;
}

export const realTimers: SupervisorTimers = {
  set: (fn, ms) => setTimeout(fn, ms).unref(),
  clear: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface SupervisorDeps {
  connect(config: McpServerConfig): Promise<McpConnection>;
  now(): number;
  random(): number;
  timers: SupervisorTimers;
  /** The server's tools changed (listed, re-listed); an empty list when it stopped. */
  onTools(server: string, tools: McpTool[]): void;
  /** A line for the server's log (state changes, why a restart happens). */
  note(line: string): void;
  /** Every state change, with why (the daemon audits it). */
  onState?(server: string, from: ServerState, to: ServerState, reason: string | null): void;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class ServerSupervisor {
  state: ServerState = 'starting';
  restarts = 0;
  lastError: string | null = null;
  tools: McpTool[] = [];
  /** When the next restart is due (state backoff). */
  retryAt: number | null = null;
  /** Calls sent and not yet answered. */
  inFlight = 0;

  private generation = 0;
  private connection: McpConnection | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private readonly crashes = new CrashWindow();
  private stopped = false;

  constructor(
    public config: McpServerConfig,
    private readonly deps: SupervisorDeps,
  ) {}

  get name(): string {
    return this.config.name;
  }

  get pid(): number | undefined {
    return this.connection?.pid;
  }

  /** Starts the server (or marks it disabled); resolves when this attempt is up or has failed. */
  start(): Promise<void> {
    if (!this.config.enabled) {
      this.lastError = null;
      this.setState('disabled');
      return Promise.resolve();
    }
    return this.launch();
  }

  /** `covenant tools restart`: clears the breaker and backoff, starts afresh (with `config` if given). */
  async restart(config: McpServerConfig = this.config): Promise<void> {
    this.cancelTimer();
    this.stopped = false;
    this.crashes.reset();
    this.attempt = 0;
    this.generation++; // fences the old session's exit and tool lists
    const old = this.connection;
    this.connection = null;
    this.config = config;
    this.restarts++;
    this.deps.note('restart requested');
    await old?.close();
    this.setTools([]);
    await this.start();
  }

  /** Daemon shutdown: no more restarts; ends the process group. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.cancelTimer();
    const old = this.connection;
    this.connection = null;
    await old?.close();
  }

  async call(name: string, args: Record<string, unknown>, options: { signal: AbortSignal; timeoutMs: number }): Promise<McpCallResult> {
    const connection = this.connection;
    if (this.state !== 'up' || connection === null) throw this.unavailable();
    this.inFlight++;
    try {
      return await connection.callTool(name, args, options);
    } catch (error) {
      if (options.signal.aborted && options.signal.reason instanceof CovenantError) throw options.signal.reason;
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison -- McpError.code is a number; the SDK names its values in this enum
      if (connection.isClosed() || (error instanceof McpError && error.code === McpErrorCode.ConnectionClosed)) {
        throw new CovenantError(
          'E_TOOL_SERVER_CRASHED',
          `MCP server ${this.name} stopped while the call was in flight (${this.lastError ?? 'connection closed'}); the call was not replayed: check \`covenant tools servers\`, then call again if it is safe to repeat`,
        );
      }
      // eslint-disable-next-line @typescript-eslint/no-unsafe-enum-comparison -- as above
      if (error instanceof McpError && error.code === McpErrorCode.RequestTimeout) {
        throw new CovenantError('E_TOOL_TIMEOUT', `tool ${name} on MCP server ${this.name} did not answer within ${options.timeoutMs} ms; the call was cancelled`);
      }
      throw new CovenantError('E_AGENT_FAILED', `MCP server ${this.name} refused the call: ${messageOf(error)}`);
    } finally {
      this.inFlight--;
    }
  }

  private unavailable(): CovenantError {
    const why = this.lastError === null ? '' : ` (${this.lastError})`;
    const next =
      this.state === 'failed' || this.state === 'disabled'
        ? `run \`covenant tools restart ${this.name}\` once it is fixed`
        : 'try again shortly, or see `covenant tools servers`';
    return new CovenantError('E_TOOL_SERVER_UNAVAILABLE', `MCP server ${this.name} is ${this.state}${why}; ${next}`);
  }

  private launch(): Promise<void> {
    const generation = ++this.generation;
    this.setState('starting');
    this.retryAt = null;
    return this.deps.connect(this.config).then(
      async (connection) => {
        if (generation !== this.generation) {
          await connection.close();
          return;
        }
        this.connection = connection;
        connection.onClose((reason) => this.crashed(generation, reason));
        connection.onToolsChanged(() => void this.relist(generation));
        try {
          const tools = await connection.listTools(this.config.startup_timeout_ms);
          if (generation !== this.generation || this.state !== 'starting') return;
          this.setTools(tools);
          this.attempt = 0;
          this.lastError = null;
          this.setState('up');
          this.deps.note(`up with ${tools.length} tools`);
        } catch (error) {
          this.crashed(generation, `tools/list failed: ${messageOf(error)}`);
        }
      },
      (error: unknown) => this.crashed(generation, messageOf(error)),
    );
  }

  private async relist(generation: number): Promise<void> {
    const connection = this.connection;
    if (generation !== this.generation || this.state !== 'up' || connection === null) return;
    try {
      const tools = await connection.listTools(this.config.startup_timeout_ms);
      if (generation === this.generation && this.state === 'up') this.setTools(tools);
    } catch (error) {
      this.deps.note(`re-list after list_changed failed: ${messageOf(error)}`);
    }
  }

  /** The session of `generation` ended without Covenant asking: back off and restart, or trip the breaker. */
  private crashed(generation: number, reason: string): void {
    if (generation !== this.generation || this.stopped || (this.state !== 'starting' && this.state !== 'up')) return;
    const connection = this.connection;
    this.connection = null;
    void connection?.close();
    this.lastError = reason;
    const { recent, tripped } = this.crashes.record(this.deps.now());
    if (tripped) {
      this.lastError = `${reason}; ${recent} crashes within ${CRASH_LOOP_WINDOW_MS / 1000} s (limit ${CRASH_LOOP_LIMIT}), not restarted until \`covenant tools restart ${this.name}\``;
      this.deps.note(`failed: ${this.lastError}`);
      this.setState('failed');
      return;
    }
    this.attempt++;
    const delay = backoffDelayMs(this.attempt, this.deps.random());
    this.retryAt = this.deps.now() + delay;
    this.setState('backoff');
    this.deps.note(`crashed (${reason}); restart in ${delay} ms`);
    this.timer = this.deps.timers.set(() => {
      this.timer = null;
      if (this.stopped || this.state !== 'backoff') return;
      this.restarts++;
      void this.launch();
    }, delay);
  }

  private setState(to: ServerState): void {
    const from = this.state;
    this.state = to;
    if (from !== to || to === 'starting') this.deps.onState?.(this.name, from, to, this.lastError);
  }

  private setTools(tools: McpTool[]): void {
    this.tools = tools;
    this.deps.onTools(this.name, tools);
  }

  private cancelTimer(): void {
    if (this.timer !== null) this.deps.timers.clear(this.timer);
    this.timer = null;
  }
}
