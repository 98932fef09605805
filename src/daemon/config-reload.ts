/**
 * SIGHUP (docs/configuration.md): config.toml is re-read and validated as a whole. A valid file
 * replaces the configuration in use and the MCP servers follow it; an invalid one is refused,
 * logged at error level with every problem, audited (`config_reload_refused`), and covenantd
 * keeps serving with the configuration it had.
 */
import { checkConfigFile, configInvalidMessage, type Config, type ConfigProblem } from '../config/index.js';
import { redact } from '../core/index.js';
import type { McpConfig } from '../mcp/index.js';
import type { DaemonContext } from '../requests/index.js';

export type ReloadOutcome = { ok: true } | { ok: false; problems: ConfigProblem[] };

/** The `[[mcp.server]]` entries of a valid configuration, as the MCP supervisor takes them. */
export function mcpServersOf(config: Config): McpConfig {
  return { servers: config.mcp.server.map((server) => ({ ok: true, config: server })), error: null };
}

/** For `tools restart`: the file as it is now, checked as a whole; an invalid file applies nothing. */
export function currentMcpConfig(path: string): McpConfig {
  const check = checkConfigFile(path);
  if (check.ok) return mcpServersOf(check.config);
  return { servers: [], error: configInvalidMessage(path, check.problems, 'no MCP server entry of it is applied') };
}

export function reloadConfig(ctx: DaemonContext): ReloadOutcome {
  const path = ctx.paths.config;
  const result = ctx.config.reload(ctx.clock.now());
  if (!result.ok) {
    const problems = result.problems.map((problem) => ({ ...problem, message: redact(problem.message) }));
    ctx.log.error({ config: path, problems }, configInvalidMessage(path, problems, 'SIGHUP refused, covenantd keeps the configuration it runs with'));
    try {
      ctx.audit.append(ctx.identity.agentId, { kind: 'config_reload_refused', payload: { path, problems } });
    } catch (error) {
      ctx.log.warn({ error: (error as Error).message }, 'could not audit a refused config reload');
    }
    return { ok: false, problems };
  }
  try {
    ctx.audit.append(ctx.identity.agentId, { kind: 'config_reloaded', payload: { path } });
  } catch (error) {
    ctx.log.warn({ error: (error as Error).message }, 'could not audit a config reload');
  }
  ctx.log.info({ config: path }, 'config.toml reloaded');
  void ctx.mcp.reload(mcpServersOf(result.config));
  return { ok: true };
}
