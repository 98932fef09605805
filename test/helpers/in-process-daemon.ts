import { readFileSync } from 'node:fs';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.js';
import { IpcClient } from '../../src/ipc/index.js';
import { tempHome } from './temp-home.js';

export interface TestDaemon {
  daemon: RunningDaemon;
  home: string;
  operatorToken: string;
  connect(): Promise<IpcClient>;
  /** Connects and authenticates as the operator (or with the given token). */
  session(token?: string): Promise<IpcClient>;
  auditKinds(): string[];
  stop(): Promise<void>;
}

export async function startTestDaemon(): Promise<TestDaemon> {
  const { home, cleanup } = tempHome();
  const daemon = await startDaemon({ home });
  const operatorToken = readFileSync(daemon.paths.operatorToken, 'utf8').trim();
  const clients: IpcClient[] = [];
  const connect = async () => {
    const client = await IpcClient.connect(daemon.paths.sock, { timeoutMs: 60_000 });
    clients.push(client);
    return client;
  };
  return {
    daemon,
    home,
    operatorToken,
    connect,
    async session(token = operatorToken) {
      const client = await connect();
      await client.authenticate(token);
      return client;
    },
    auditKinds() {
      return (daemon.ctx.db.prepare('SELECT kind FROM audit_events ORDER BY seq').all() as Array<{ kind: string }>).map((r) => r.kind);
    },
    async stop() {
      for (const client of clients) client.close();
      await daemon.stop('test');
      cleanup();
    },
  };
}
