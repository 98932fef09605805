import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.js';
import { IpcClient, type WireMessage } from '../../src/ipc/index.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { tempHome } from '../helpers/temp-home.js';
import { auditPayloads } from '../helpers/audit-rows.js';

export const FIXTURE_AGENTS = join(REPO_ROOT, 'test', 'fixtures', 'agents');
export const REFERENCE_AGENTS = join(REPO_ROOT, 'agents');

export interface RuntimeDaemon {
  daemon: RunningDaemon;
  home: string;
  /** One authenticated operator session. */
  client: IpcClient;
  /** The operator's identity as authenticated. */
  self: { display: string; pubkey: string };
  call(message: WireMessage): Promise<WireMessage>;
  /** Calls and asserts the reply is not an error. */
  ok(message: WireMessage): Promise<WireMessage>;
  install(dir: string): Promise<WireMessage>;
  count(table: string, where?: string, ...args: unknown[]): number;
  auditRows(kind: string): Array<Record<string, unknown>>;
  stop(): Promise<void>;
}

/**
 * An in-process covenantd with a controlled agent-runtime environment and a short kill grace.
 * Agents run trusted-local unless `env` names another backend (the linux-bwrap backend has its
 * own tests in test/runtime and test/live).
 */
export async function startRuntimeDaemon(env: NodeJS.ProcessEnv = {}): Promise<RuntimeDaemon> {
  const { home, cleanup } = tempHome();
  const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, COVENANT_RUNTIME_BACKEND: 'trusted-local', ...env };
  const daemon = await startDaemon({ home, agentRuntime: { env: baseEnv, killGraceMs: 300 } });
  const token = readFileSync(daemon.paths.operatorToken, 'utf8').trim();
  const client = await IpcClient.connect(daemon.paths.sock, { timeoutMs: 60_000 });
  const self = await client.authenticate(token);
  const db = daemon.ctx.db;
  const call = (message: WireMessage) => client.request(message);
  const ok = async (message: WireMessage) => {
    const reply = await call(message);
    assert.notEqual(reply.kind, 'error', `${String(message.kind)} failed: ${JSON.stringify(reply)}`);
    return reply;
  };
  return {
    daemon,
    home,
    client,
    self,
    call,
    ok,
    install: (dir) => ok({ kind: 'agents_install', dir }),
    count(table, where, ...args) {
      return (db.prepare(`SELECT count(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`).get(...args) as { n: number }).n;
    },
    auditRows: (kind) => auditPayloads(db, kind),
    async stop() {
      client.close();
      await daemon.stop('test');
      cleanup();
    },
  };
}
