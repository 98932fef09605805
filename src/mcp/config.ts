/**
 * `[[mcp.server]]` in `$COVENANT_HOME/config.toml` (SPEC 11, docs/mcp.md). Validated strictly:
 * an unknown key, a bad glob or a bad value makes that entry a configuration error that
 * `tools servers` and `doctor` show (code E_CONFIG_INVALID, naming the key); the other entries
 * and the daemon carry on.
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseConfigToml } from '../home/index.js';
import { z } from 'zod';
import { GLOB_RULE, isValidGlob } from './glob.js';

export const DEFAULT_STARTUP_TIMEOUT_MS = 10_000;
export const DEFAULT_CALL_TIMEOUT_MS = 30_000;
export const SERVER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const Glob = z.string().refine(isValidGlob, GLOB_RULE);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const Env = z.record(z.string(), z.string()).superRefine((env, ctx) => {
  for (const name of Object.keys(env)) {
    if (!ENV_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'an environment variable name (letters, digits, _)' });
    else if (name.toUpperCase().startsWith('COVENANT_')) ctx.addIssue({ code: 'custom', path: [name], message: 'COVENANT_* variables are never passed to an MCP server' });
  }
});

export const McpServerConfigSchema = z.strictObject({
  name: z.string().regex(SERVER_NAME_PATTERN, 'letters, digits, _ and - only (1-64)'),
  command: z.string().min(1, 'the program to start, e.g. "node" or "/usr/bin/mcp-server"'),
  args: z.array(z.string()).max(256).default([]),
  env: Env.default({}),
  cwd: z.string().startsWith('/', 'an absolute path').optional(),
  enabled: z.boolean().default(true),
  tool_prefix: z.string().regex(/^[A-Za-z0-9_-]{1,32}$/, 'letters, digits, _ and - only (1-32)').optional(),
  include: z.array(Glob).max(256).default([]),
  exclude: z.array(Glob).max(256).default([]),
  startup_timeout_ms: z.number().int().min(100).max(600_000).default(DEFAULT_STARTUP_TIMEOUT_MS),
  call_timeout_ms: z.number().int().min(100).max(3_600_000).default(DEFAULT_CALL_TIMEOUT_MS),
});

export type McpServerConfig = z.infer<typeof McpServerConfigSchema>;

/** `[[mcp.server]]` in the one config.toml schema (src/config): every entry valid, names unique. */
export const McpServerListSchema = z.array(McpServerConfigSchema).superRefine((servers, ctx) => {
  const seen = new Set<string>();
  servers.forEach((server, index) => {
    if (seen.has(server.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `${server.name} is declared twice` });
    seen.add(server.name);
  });
});

export type McpServerEntry = { ok: true; config: McpServerConfig } | { ok: false; name: string; error: string };

export interface McpConfig {
  servers: McpServerEntry[];
  /** A problem with the file or the `[mcp]` table as a whole; no entry could be read. */
  error: string | null;
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function entryError(source: string, index: number, raw: unknown, error: z.ZodError): McpServerEntry {
  const named = isTable(raw) && typeof raw.name === 'string' && SERVER_NAME_PATTERN.test(raw.name) ? raw.name : null;
  const issue = error.issues[0]!;
  const keyPath = ['mcp', `server[${index}]`, ...issue.path.map(String)];
  const message =
    issue.code === 'unrecognized_keys'
      ? `${[...keyPath, issue.keys[0] ?? '?'].join('.')}: unknown key; allowed keys: ${Object.keys(McpServerConfigSchema.shape).join(', ')}`
      : `${keyPath.join('.')}: ${issue.message}`;
  return { ok: false, name: named ?? `mcp.server[${index}]`, error: `${source}: ${message}` };
}

/** Parses config.toml text; only `[mcp]` is read (other sections belong to other parts). */
export function parseMcpConfig(text: string, source = 'config.toml'): McpConfig {
  const parsed = parseConfigToml(text, source);
  if ('error' in parsed) return { servers: [], error: parsed.error };
  const document = parsed.document;
  const mcp = document.mcp;
  if (mcp === undefined) return { servers: [], error: null };
  if (!isTable(mcp)) return { servers: [], error: `${source}: mcp: expected a table ([[mcp.server]] entries)` };
  const unknown = Object.keys(mcp).find((key) => key !== 'server');
  if (unknown !== undefined) return { servers: [], error: `${source}: mcp.${unknown}: unknown key; [mcp] holds only [[mcp.server]] entries` };
  const list = mcp.server ?? [];
  if (!Array.isArray(list)) return { servers: [], error: `${source}: mcp.server: expected an array of tables ([[mcp.server]])` };
  const seen = new Set<string>();
  const servers = list.map((raw, index): McpServerEntry => {
    const parsed = McpServerConfigSchema.safeParse(raw);
    if (!parsed.success) return entryError(source, index, raw, parsed.error);
    if (seen.has(parsed.data.name)) {
      return { ok: false, name: `mcp.server[${index}]`, error: `${source}: mcp.server[${index}].name: ${parsed.data.name} is declared twice` };
    }
    seen.add(parsed.data.name);
    return { ok: true, config: parsed.data };
  });
  return { servers, error: null };
}

/** Reads `[mcp]` from a config.toml path; a missing file means no servers. */
export function loadMcpConfig(path: string): McpConfig {
  if (!existsSync(path)) return { servers: [], error: null };
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { servers: [], error: `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}` };
  }
  return parseMcpConfig(text, path);
}
