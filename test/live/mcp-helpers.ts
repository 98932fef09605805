// Shared by the MCP live tests: config.toml entries for the real server-everything (started with
// `node <its bin> stdio`, not npx) and the fixture server, and reading a server's log and state.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/binaries.js';
import { liveProcesses } from '../helpers/proc.js';
import { waitFor } from '../helpers/wait.js';
import type { LiveHome } from './harness.js';
import { okJson } from './helpers.js';

export const EVERYTHING_BIN = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
export const FIXTURE_BIN = join(REPO_ROOT, 'test', 'fixtures', 'mcp', 'fixture-server.mjs');

/** One [[mcp.server]] table; values are written as TOML (JSON strings and arrays are valid TOML). */
export function serverToml(entry: Record<string, unknown>): string {
  const toml = (value: unknown): string =>
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? `{ ${Object.entries(value).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(', ')} }`
      : JSON.stringify(value);
  const lines = Object.entries(entry).map(([key, value]) => `${key} = ${toml(value)}`);
  return `[[mcp.server]]\n${lines.join('\n')}\n`;
}

export function everything(extra: Record<string, unknown> = {}): string {
  return serverToml({ name: 'everything', command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], tool_prefix: 'ev', ...extra });
}

export function fixture(name: string, mode: string, extra: Record<string, unknown> = {}): string {
  return serverToml({ name, command: process.execPath, args: [FIXTURE_BIN, mode], tool_prefix: name, ...extra });
}

export function writeConfig(live: LiveHome, ...entries: string[]): void {
  mkdirSync(live.home, { recursive: true, mode: 0o700 });
  writeFileSync(join(live.home, 'config.toml'), entries.join('\n'), { mode: 0o600 });
}

export interface ServerView {
  name: string;
  state: string;
  restarts: number;
  last_error: string | null;
  tools: string[];
  calls_in_flight: number;
}

export function servers(live: LiveHome): ServerView[] {
  return okJson(live.cli(['tools', 'servers', '--json']), 'tool_servers').servers as ServerView[];
}

export function server(live: LiveHome, name: string): ServerView {
  const found = servers(live).find((s) => s.name === name);
  assert.ok(found, `no server ${name} in tools servers`);
  return found;
}

/** Waits until `check` holds for the server's view; returns that view. */
export async function waitForServer(live: LiveHome, name: string, check: (s: ServerView) => boolean, what: string): Promise<ServerView> {
  let last: ServerView | undefined;
  const ok = await waitFor(() => {
    last = servers(live).find((s) => s.name === name);
    return last !== undefined && check(last);
  }, 90_000, 100);
  assert.ok(ok, `server ${name} never became ${what}: ${JSON.stringify(last)}`);
  return last!;
}

export function serverLog(live: LiveHome, name: string): string {
  const path = join(live.home, 'logs', `mcp-${name}.log`);
  return existsSync(path) ? readFileSync(path, 'utf8') : '';
}

/** The pid (= process group id) of the server's latest process, from covenantd's own note in its log. */
export function serverPid(live: LiveHome, name: string): number {
  const matches = [...serverLog(live, name).matchAll(/\[covenant\] started .* \(pid (\d+)\)/g)];
  assert.ok(matches.length > 0, `no start noted in the log of ${name}`);
  return Number(matches.at(-1)![1]);
}

/** Pids of the live processes whose process group is `pgid` (Linux /proc). */
export function groupMembers(pgid: number): number[] {
  return liveProcesses()
    .filter((p) => p.pgid === pgid)
    .map((p) => p.pid);
}
