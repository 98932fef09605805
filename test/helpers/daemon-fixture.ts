import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.js';
import { homePaths, type HomePaths } from '../../src/home/index.js';
import type { AgentId } from '../../src/identity/index.js';
import { IpcClient, type WireMessage } from '../../src/ipc/index.js';
import { auditRows, type AuditRow } from './audit-rows.js';
import { RawSocket } from './raw-socket.js';
import { assertReplyMatchesProtocol } from './reply-schema.js';
import { tempHome } from './temp-home.js';

type FixtureClass<F extends DaemonFixture> = new (home: string, cleanup: () => void) => F;

/**
 * An in-process daemon on a temporary home that outlives it, so a test can stop and start it
 * again on the same home. Subclass it for helpers of one test file.
 */
export class DaemonFixture {
  daemon!: RunningDaemon;
  private readonly clients: IpcClient[] = [];
  private readonly raws: RawSocket[] = [];

  constructor(
    readonly home: string,
    private readonly cleanup: () => void,
  ) {}

  static async start<F extends DaemonFixture>(this: FixtureClass<F>): Promise<F> {
    const { home, cleanup } = tempHome();
    const fixture = new this(home, cleanup);
    fixture.daemon = await startDaemon({ home });
    return fixture;
  }

  get ctx() {
    return this.daemon.ctx;
  }

  get operator(): AgentId {
    return this.ctx.identity.agentId;
  }

  get paths(): HomePaths {
    return homePaths(this.home);
  }

  operatorToken(): string {
    return readFileSync(this.paths.operatorToken, 'utf8').trim();
  }

  /** A new connection, not yet authenticated; closed when the daemon stops. */
  async connect(): Promise<IpcClient> {
    const client = await IpcClient.connect(this.paths.sock, { timeoutMs: 60_000 });
    this.clients.push(client);
    return client;
  }

  async session(token = this.operatorToken()): Promise<IpcClient> {
    const client = await this.connect();
    await client.authenticate(token);
    return client;
  }

  /** One request on a fresh connection, authenticated as the operator unless `token` is given. */
  async call(request: WireMessage, token = this.operatorToken()): Promise<WireMessage> {
    const client = await this.connect();
    try {
      await client.authenticate(token);
      const reply = await client.request(request);
      assertReplyMatchesProtocol(request, reply);
      return reply;
    } finally {
      client.close();
    }
  }

  /** A raw connection authenticated with `token`, kept open (to watch it being closed). */
  async openRaw(token: string): Promise<RawSocket> {
    const raw = await RawSocket.open(this.paths.sock);
    this.raws.push(raw);
    raw.send({ kind: 'authenticate', token_b58: token });
    const [first] = (await raw.waitFrames(1)) as Array<Record<string, unknown>>;
    assert.equal(first?.kind, 'authenticated');
    return raw;
  }

  async authFails(token: string): Promise<void> {
    const client = await this.connect();
    await assert.rejects(client.authenticate(token), (error: Error & { code?: string }) => error.code === 'E_AUTH_FAILED');
  }

  async addPeer(name: string): Promise<{ token: string; agent: AgentId }> {
    const reply = await this.call({ kind: 'peers_add', name });
    assert.equal(reply.kind, 'peer_added', JSON.stringify(reply));
    return { token: String(reply.token_b58), agent: reply.agent_id as AgentId };
  }

  async grant(params: Record<string, unknown>, token?: string): Promise<WireMessage> {
    return this.call({ kind: 'capabilities_grant', ...params }, token);
  }

  /** The audit rows of `kind`, oldest first, payloads parsed. */
  audit(kind: string): AuditRow[] {
    return auditRows(this.ctx.db, kind);
  }

  async restart(): Promise<void> {
    await this.stopDaemon();
    this.daemon = await startDaemon({ home: this.home });
  }

  async stopDaemon(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    for (const raw of this.raws.splice(0)) raw.destroy();
    await this.daemon.stop('test');
  }

  async dispose(): Promise<void> {
    await this.stopDaemon();
    this.cleanup();
  }
}

/** Starts a fixture of class `Fixture`, runs `fn` with it and disposes of it. */
export async function withDaemonFixture<F extends DaemonFixture>(
  Fixture: { start(): Promise<F> },
  fn: (fixture: F) => Promise<void>,
): Promise<void> {
  const fixture = await Fixture.start();
  try {
    await fn(fixture);
  } finally {
    await fixture.dispose();
  }
}
