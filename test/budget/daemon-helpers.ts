import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.js';
import { IpcClient, type WireMessage } from '../../src/ipc/index.js';
import { tempDir } from '../helpers/temp-home.js';
import { auditPayloads } from '../helpers/audit-rows.js';

export { writeFixtureAgent } from './fixture-agent.js';

export interface BudgetDaemon {
  daemon: RunningDaemon;
  home: string;
  packages: string;
  pidfile: string;
  operatorToken: string;
  session(token?: string): Promise<IpcClient>;
  call(message: WireMessage, client?: IpcClient): Promise<WireMessage>;
  ok(message: WireMessage, client?: IpcClient): Promise<WireMessage>;
  count(table: string, where?: string, ...args: unknown[]): number;
  auditRows(kind: string): Array<Record<string, unknown>>;
  auditKinds(): string[];
  stop(): Promise<void>;
}

export async function startBudgetDaemon(): Promise<BudgetDaemon> {
  const { dir, cleanup } = tempDir('covenant-budget-daemon-');
  const home = join(dir, 'home');
  const packages = join(dir, 'packages');
  const pidfile = join(dir, 'pids.txt');
  mkdirSync(packages);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, FIXTURE_PIDFILE: pidfile };
  const daemon = await startDaemon({ home, agentRuntime: { env, killGraceMs: 300 } });
  const operatorToken = readFileSync(daemon.paths.operatorToken, 'utf8').trim();
  const clients: IpcClient[] = [];
  const session = async (token = operatorToken) => {
    const client = await IpcClient.connect(daemon.paths.sock, { timeoutMs: 60_000 });
    clients.push(client);
    await client.authenticate(token);
    return client;
  };
  const main = await session();
  const db = daemon.ctx.db;
  const call = (message: WireMessage, client = main) => client.request(message);
  return {
    daemon,
    home,
    packages,
    pidfile,
    operatorToken,
    session,
    call,
    async ok(message, client = main) {
      const reply = await call(message, client);
      assert.notEqual(reply.kind, 'error', `${String(message.kind)} failed: ${JSON.stringify(reply)}`);
      return reply;
    },
    count(table, where, ...args) {
      return (db.prepare(`SELECT count(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`).get(...args) as { n: number }).n;
    },
    auditRows: (kind) => auditPayloads(db, kind),
    auditKinds() {
      return (db.prepare('SELECT kind FROM audit_events ORDER BY seq').all() as Array<{ kind: string }>).map((r) => r.kind);
    },
    async stop() {
      for (const client of clients) client.close();
      await daemon.stop('test');
      cleanup();
    },
  };
}
