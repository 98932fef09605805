import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startDaemon, type DaemonOptions, type RunningDaemon } from '../../src/daemon/index.js';
import { homePaths, type HomePaths } from '../../src/home/index.js';
import type { AgentId } from '../../src/identity/index.js';
import { IpcClient, type WireMessage } from '../../src/ipc/index.js';
import { auditRows, type AuditRow } from './audit-rows.js';
import { ManualDeadlines } from './manual-deadlines.js';
import { RawSocket } from './raw-socket.js';
import { assertReplyMatchesProtocol } from './reply-schema.js';
import { tempHome } from './temp-home.js';

/** How the daemon is started: startDaemon's options without the home, which the fixture makes. */
export type FixtureOptions = Omit<DaemonOptions, 'home'>;

type FixtureClass<F extends DaemonFixture> = new (home: string, cleanup: () => void, options: FixtureOptions) => F;

/**
 * The one in-process daemon fixture of the integration tests: a real daemon on a temporary
 * home that outlives it (so a test can stop and start it again on the same home), with the
 * helpers every test needs. Subclass it for helpers of one test folder.
 */
export class DaemonFixture {
  daemon!: RunningDaemon;
  /** The runs' budget deadlines: they fire only when the test calls `deadlines.expire()`. */
  readonly deadlines = new ManualDeadlines();
  private readonly clients: IpcClient[] = [];
  private readonly raws: RawSocket[] = [];

  constructor(
    readonly home: string,
    private readonly cleanup: () => void,
    private readonly options: FixtureOptions,
  ) {}

  static async start<F extends DaemonFixture>(this: FixtureClass<F>, options: FixtureOptions = {}): Promise<F> {
    const { home, cleanup } = tempHome();
    const fixture = new this(home, cleanup, options);
    try {
      fixture.daemon = await fixture.startOnHome();
    } catch (error) {
      cleanup();
      throw error;
    }
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

  /** The operator token as it is on disk now (a rotation changes it). */
  operatorToken(): string {
    return readFileSync(this.paths.operatorToken, 'utf8').trim();
  }

  /** A new connection, not yet authenticated; closed when the daemon stops. */
  async connect(): Promise<IpcClient> {
    const client = await IpcClient.connect(this.paths.sock, { timeoutMs: 60_000 });
    this.clients.push(client);
    return client;
  }

  /** A connection authenticated as the operator (or with `token`); closed when the daemon stops. */
  async session(token = this.operatorToken()): Promise<IpcClient> {
    const client = await this.connect();
    await client.authenticate(token);
    return client;
  }

  /**
   * One request: on `via` when it is a session, else on a fresh connection authenticated as the
   * operator or with the token `via`.
   */
  async call(request: WireMessage, via?: IpcClient | string): Promise<WireMessage> {
    if (via instanceof IpcClient) return via.request(request);
    const client = await this.connect();
    try {
      await client.authenticate(via ?? this.operatorToken());
      const reply = await client.request(request);
      assertReplyMatchesProtocol(request, reply);
      return reply;
    } finally {
      client.close();
    }
  }

  /** `call`, asserting the reply is not an error. */
  async ok(request: WireMessage, via?: IpcClient | string): Promise<WireMessage> {
    return notAnError(request, await this.call(request, via));
  }

  /** `call`, asserting the reply is the refusal `code`. */
  async refused(request: WireMessage, via: IpcClient | string | undefined, code: string): Promise<WireMessage> {
    const reply = await this.call(request, via);
    assert.equal(reply.kind, 'error', JSON.stringify(reply));
    assert.equal(reply.code, code, String(reply.message));
    return reply;
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

  /** Rows of `table` (matching the SQL condition `where`, with its `args`). */
  count(table: string, where?: string, ...args: unknown[]): number {
    const sql = `SELECT count(*) AS n FROM ${table}${where ? ` WHERE ${where}` : ''}`;
    return (this.ctx.db.prepare(sql).get(...args) as { n: number }).n;
  }

  /** The audit rows of `kind`, oldest first, payloads parsed. */
  audit(kind: string): AuditRow[] {
    return auditRows(this.ctx.db, kind);
  }

  /** The parsed payloads of the audit rows of `kind`, oldest first. */
  auditPayloads(kind: string): Array<Record<string, unknown>> {
    return this.audit(kind).map((row) => row.payload);
  }

  /** Every audit row's kind, oldest first. */
  auditKinds(): string[] {
    return (this.ctx.db.prepare('SELECT kind FROM audit_events ORDER BY seq').all() as Array<{ kind: string }>).map((r) => r.kind);
  }

  async restart(): Promise<void> {
    await this.stopDaemon();
    this.daemon = await this.startOnHome();
  }

  private startOnHome(): Promise<RunningDaemon> {
    return startDaemon({ budgetDeadlineTimer: this.deadlines.timer, ...this.options, home: this.home });
  }

  /** Stops the daemon and closes the fixture's connections; the home stays. */
  async stopDaemon(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    for (const raw of this.raws.splice(0)) raw.destroy();
    await this.daemon.stop('test');
  }

  /** Stops the daemon and removes the home. */
  async stop(): Promise<void> {
    await this.stopDaemon();
    this.cleanup();
  }
}

/** Sends `request` on `client` and asserts the reply is not an error. */
export async function requestOk(client: IpcClient, request: WireMessage): Promise<WireMessage> {
  return notAnError(request, await client.request(request));
}

function notAnError(request: WireMessage, reply: WireMessage): WireMessage {
  assert.notEqual(reply.kind, 'error', `${String(request.kind)} failed: ${JSON.stringify(reply)}`);
  return reply;
}

/** Starts a fixture of class `Fixture`, runs `fn` with it and stops it. */
export async function withDaemonFixture<F extends DaemonFixture>(
  Fixture: { start(): Promise<F> },
  fn: (fixture: F) => Promise<void>,
): Promise<void> {
  const fixture = await Fixture.start();
  try {
    await fn(fixture);
  } finally {
    await fixture.stop();
  }
}
