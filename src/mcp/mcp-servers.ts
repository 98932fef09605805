/**
 * Every `[[mcp.server]]` of config.toml, supervised (SPEC 11, docs/mcp.md): started at boot,
 * re-read on `reload()` (SIGHUP) and on `covenant tools restart`, their tools kept in the
 * registry under their advertised names, their state for `tools servers` and `doctor`.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { z } from 'zod';
import { canonicalJson, CovenantError } from '../core/index.js';
import type { ToolServerSchema } from '../protocol/index.js';
import { loadMcpConfig, type McpConfig, type McpServerConfig } from './config.js';
import { connectMcpServer, type McpConnection, type McpTool } from './connection.js';
import { toolFilter } from './glob.js';
import { ADVERTISED_NAME, advertisedName, remoteTool } from './remote-tool.js';
import { realTimers, ServerSupervisor, type ServerState, type SupervisorTimers } from './server-supervisor.js';
import { StderrLog } from './stderr-log.js';
import type { ToolRegistry } from './tool-registry.js';

export type ToolServerView = z.infer<typeof ToolServerSchema>;

export interface ServerHealth extends ToolServerView {
  log_path: string | null;
  log_tail: string[];
}

export interface McpServersOptions {
  configPath: string;
  /** Reads the servers' config now (default: `[mcp]` of configPath); the daemon validates the whole file (src/config). */
  load?: () => McpConfig;
  logsDir: string;
  /** Parent of each server's default working directory (`<dir>/<name>`). */
  workDir: string;
  registry: ToolRegistry;
  daemonEnv: NodeJS.ProcessEnv;
  clientVersion: string;
  log: { info(obj: object, msg: string): void; warn(obj: object, msg: string): void };
  /** Every server state change (the daemon writes a `tool_server_state` audit row). */
  onState?: (server: string, from: ServerState, to: ServerState, reason: string | null) => void;
  /** Tests: a fake connection, timers and randomness. */
  connect?: (config: McpServerConfig, log: StderrLog) => Promise<McpConnection>;
  timers?: SupervisorTimers;
  now?: () => number;
  random?: () => number;
}

export class McpServers {
  private readonly supervisors = new Map<string, ServerSupervisor>();
  private readonly logs = new Map<string, StderrLog>();
  private readonly advertised = new Map<string, string[]>();
  private invalid: Array<{ name: string; error: string }> = [];
  private configError: string | null = null;

  constructor(private readonly options: McpServersOptions) {}

  /** Reads config.toml and starts every enabled server; resolves when each first attempt settled. */
  async start(): Promise<void> {
    await this.reload();
  }

  /** Applies config.toml now (or `config`, already read): new servers start, removed ones stop, changed ones restart. */
  async reload(config: McpConfig = this.load()): Promise<void> {
    this.configError = config.error;
    if (config.error !== null) {
      this.options.log.warn({ error: config.error }, 'MCP servers: config.toml not applied');
      return; // the servers already running keep running
    }
    this.invalid = config.servers.flatMap((entry) => (entry.ok ? [] : [{ name: entry.name, error: entry.error }]));
    for (const bad of this.invalid) this.options.log.warn({ server: bad.name, error: bad.error }, 'MCP server entry refused');
    const wanted = new Map(config.servers.flatMap((entry) => (entry.ok ? [[entry.config.name, entry.config] as const] : [])));
    const work: Array<Promise<void>> = [];
    for (const [name, supervisor] of this.supervisors) {
      if (!wanted.has(name)) {
        this.supervisors.delete(name);
        this.onTools(name, []);
        work.push(supervisor.stop());
      }
    }
    for (const [name, serverConfig] of wanted) {
      const existing = this.supervisors.get(name);
      if (existing === undefined) work.push(this.add(serverConfig).start());
      else if (canonicalJson(existing.config) !== canonicalJson(serverConfig)) work.push(existing.restart(serverConfig));
    }
    await Promise.allSettled(work);
  }

  /** `covenant tools restart <server>`: re-reads its entry, clears the breaker, starts it again. */
  async restart(name: string): Promise<ToolServerView> {
    const config = this.load();
    if (config.error !== null) throw new CovenantError('E_CONFIG_INVALID', `${config.error}; fix it, then run \`covenant tools restart ${name}\` again`);
    const entry = config.servers.find((e) => (e.ok ? e.config.name === name : e.name === name));
    if (entry === undefined) {
      throw new CovenantError('E_NOT_FOUND', `no [[mcp.server]] named ${name} in ${this.options.configPath}; list them with \`covenant tools servers\``);
    }
    if (!entry.ok) throw new CovenantError('E_CONFIG_INVALID', `${entry.error}; fix it, then run \`covenant tools restart ${name}\` again`);
    this.invalid = this.invalid.filter((bad) => bad.name !== name);
    const existing = this.supervisors.get(name);
    if (existing === undefined) await this.add(entry.config).start();
    else await existing.restart(entry.config);
    return this.view(this.supervisors.get(name)!);
  }

  async stop(): Promise<void> {
    const all = [...this.supervisors.values()];
    await Promise.allSettled(all.map((s) => s.stop()));
  }

  servers(): ToolServerView[] {
    const views = [...this.supervisors.values()].map((s) => this.view(s));
    const invalid = this.invalid.map(
      (bad): ToolServerView => ({ name: bad.name, state: 'failed', restarts: 0, last_error: `E_CONFIG_INVALID: ${bad.error}`, tools: [], calls_in_flight: 0 }),
    );
    return [...views, ...invalid].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** For doctor: each server with the last lines of its stderr log, and a file-level config error. */
  health(): { configError: string | null; servers: ServerHealth[] } {
    return {
      configError: this.configError,
      servers: this.servers().map((view) => {
        const log = this.logs.get(view.name);
        return { ...view, log_path: log?.path ?? null, log_tail: log?.lastLines() ?? [] };
      }),
    };
  }

  private load(): McpConfig {
    return this.options.load ? this.options.load() : loadMcpConfig(this.options.configPath);
  }

  private view(supervisor: ServerSupervisor): ToolServerView {
    return {
      name: supervisor.name,
      state: supervisor.state,
      restarts: supervisor.restarts,
      last_error: supervisor.lastError,
      tools: this.advertised.get(supervisor.name) ?? [],
      calls_in_flight: supervisor.inFlight,
    };
  }

  private add(config: McpServerConfig): ServerSupervisor {
    const log = new StderrLog(join(this.options.logsDir, `mcp-${config.name}.log`));
    this.logs.set(config.name, log);
    const cwd = join(this.options.workDir, config.name);
    const connect =
      this.options.connect ??
      ((serverConfig: McpServerConfig, serverLog: StderrLog) => {
        if (serverConfig.cwd === undefined) mkdirSync(cwd, { recursive: true, mode: 0o700 });
        return connectMcpServer({ config: serverConfig, cwd, daemonEnv: this.options.daemonEnv, log: serverLog, clientVersion: this.options.clientVersion });
      });
    const supervisor: ServerSupervisor = new ServerSupervisor(config, {
      connect: (serverConfig) => connect(serverConfig, log),
      now: this.options.now ?? Date.now,
      random: this.options.random ?? Math.random,
      timers: this.options.timers ?? realTimers,
      onTools: (server, tools) => this.onTools(server, tools, supervisor),
      onState: (server, from, to, reason) => this.options.onState?.(server, from, to, reason),
      note: (line) => {
        log.note(line);
        this.options.log.info({ server: config.name }, `MCP server ${config.name}: ${line}`);
      },
    });
    this.supervisors.set(config.name, supervisor);
    return supervisor;
  }

  /** Replaces the server's tools in the registry: filtered, prefixed, never shadowing another's. */
  private onTools(server: string, tools: McpTool[], supervisor?: ServerSupervisor): void {
    const registry = this.options.registry;
    for (const name of this.advertised.get(server) ?? []) registry.remove(name);
    this.advertised.set(server, []);
    if (supervisor === undefined) return;
    const { include, exclude, tool_prefix } = supervisor.config;
    const passes = toolFilter(include, exclude);
    const names: string[] = [];
    for (const tool of tools) {
      if (!passes(tool.name)) continue;
      const name = advertisedName(tool_prefix, tool.name);
      if (!ADVERTISED_NAME.test(name)) {
        this.logs.get(server)?.note(`tool ${JSON.stringify(tool.name)} skipped: its name is not letters, digits, _ and -`);
        continue;
      }
      if (registry.has(name)) {
        this.logs.get(server)?.note(`tool ${name} skipped: another server (or a built-in) already provides it; set tool_prefix`);
        continue;
      }
      registry.add(remoteTool(supervisor, tool, name));
      names.push(name);
    }
    this.advertised.set(server, names.sort());
  }
}
