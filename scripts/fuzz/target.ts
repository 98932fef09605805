import { join } from 'node:path';
import { homePaths } from '../../src/home/layout.js';
import { encodeFrame } from '../../src/ipc/framing.js';
import { AuditReader } from '../harness/audit-reader.js';
import { freePort, harnessEnv, readOperatorToken, startDaemon, type HarnessDaemon } from '../harness/daemon.js';
import { FuzzConnection } from './connection.js';

/** Tokens the fuzz knows: the ones it authenticates with, and every full token it has seen (for leak checks). */
export interface KnownTokens {
  operator: string;
  guest: string;
  revoked: string;
  all: Set<string>;
}

/**
 * The covenantd under fuzz: a temp home, HTTP on a free loopback port, an operator lane and a
 * guest lane (a peer with no capability at all), restarted after a crash.
 */
export class FuzzTarget {
  daemon!: HarnessDaemon;
  audit!: AuditReader;
  tokens!: KnownTokens;
  port!: number;
  readonly lanes: { operator: FuzzConnection | null; guest: FuzzConnection | null } = { operator: null, guest: null };
  private guestSerial = 0;
  env: NodeJS.ProcessEnv = {};
  readonly home: string;

  constructor(
    readonly dir: string,
    /** The generous bound on any one answer (ms): past it, a request counts as a hang. */
    readonly bound: number,
  ) {
    this.home = join(dir, 'home');
  }

  get sock(): string {
    return homePaths(this.home).sock;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    this.env = harnessEnv(this.dir, this.home, {
      COVENANT_RUNTIME_BACKEND: 'trusted-local',
      COVENANT_HTTP_BIND_ADDR: '127.0.0.1',
      COVENANT_HTTP_PORT: String(this.port),
      // Refusals are counted one by one; the rate limiter's aggregated rows would blur that.
      COVENANT_HTTP_RATE: '1000000000',
      COVENANT_HTTP_BURST: '1000000000',
    });
    await this.boot();
    const operator = readOperatorToken(this.home);
    this.tokens = { operator, guest: '', revoked: '', all: new Set([operator]) };
    this.tokens.revoked = await this.addPeer('fuzz-revoked');
    const lane = await this.operatorLane();
    const revoked = await lane?.ask({ kind: 'peers_revoke', token_prefix: this.tokens.revoked }, this.bound);
    if ((revoked?.outcome as { type?: string } | undefined)?.type !== 'revoked') throw new Error('setup: could not revoke the fuzz-revoked peer');
    this.tokens.guest = await this.addPeer(`fuzz-guest-${this.guestSerial++}`);
  }

  /** After a crash or an unresponsive daemon: start it again on the same home and port. */
  async restart(): Promise<void> {
    this.dropLanes();
    this.audit.close();
    if (this.daemon.alive()) {
      this.daemon.child.kill('SIGKILL');
      await this.daemon.exited;
    }
    await this.boot();
    this.adoptFileToken();
  }

  async stop(): Promise<void> {
    this.dropLanes();
    this.audit?.close();
  }

  /** The operator token in the home's file becomes the one the fuzz uses (after a rotation). */
  adoptFileToken(): void {
    const token = readOperatorToken(this.home);
    this.tokens.operator = token;
    this.tokens.all.add(token);
  }

  dropLanes(): void {
    this.lanes.operator?.destroy();
    this.lanes.guest?.destroy();
    this.lanes.operator = null;
    this.lanes.guest = null;
  }

  /** An authenticated operator connection (re-reading the token file once if a rotation slipped by). */
  async operatorLane(): Promise<FuzzConnection | null> {
    if (this.lanes.operator && !this.lanes.operator.closed) return this.lanes.operator;
    let lane = await this.authenticated(this.tokens.operator);
    if (!lane) {
      this.adoptFileToken();
      lane = await this.authenticated(this.tokens.operator);
    }
    this.lanes.operator = lane;
    return lane;
  }

  /** An authenticated guest connection; a guest revoked by a fuzzed request is replaced by a new one. */
  async guestLane(): Promise<FuzzConnection | null> {
    if (this.lanes.guest && !this.lanes.guest.closed) return this.lanes.guest;
    let lane = await this.authenticated(this.tokens.guest);
    if (!lane) {
      this.tokens.revoked = this.tokens.guest;
      this.tokens.guest = await this.addPeer(`fuzz-guest-${this.guestSerial++}`);
      lane = await this.authenticated(this.tokens.guest);
    }
    this.lanes.guest = lane;
    return lane;
  }

  private async boot(): Promise<void> {
    this.daemon = await startDaemon(this.home, this.env, []);
    this.audit = new AuditReader(homePaths(this.home).db);
  }

  private async authenticated(token: string): Promise<FuzzConnection | null> {
    let connection: FuzzConnection;
    try {
      connection = await FuzzConnection.open(this.sock);
    } catch {
      return null;
    }
    const answer = await connection.ask({ kind: 'authenticate', token_b58: token }, this.bound);
    if (answer?.kind === 'authenticated') return connection;
    connection.destroy();
    return null;
  }

  private async addPeer(name: string): Promise<string> {
    const lane = await this.operatorLane();
    const answer = await lane?.ask({ kind: 'peers_add', name }, this.bound);
    if (answer?.kind !== 'peer_added' || typeof answer.token_b58 !== 'string') throw new Error(`setup: peers_add ${name} failed: ${JSON.stringify(answer)?.slice(0, 300)}`);
    this.tokens.all.add(answer.token_b58);
    return answer.token_b58;
  }

  /** Does covenantd still answer? protocol_info on a fresh connection, within the bound. */
  async answers(): Promise<boolean> {
    let connection: FuzzConnection;
    try {
      connection = await FuzzConnection.open(this.sock);
    } catch {
      return false;
    }
    try {
      connection.write(encodeFrame({ kind: 'protocol_info' }));
      return (await connection.waitFrames(1, this.bound)) === 'ok';
    } finally {
      connection.destroy();
    }
  }

  /** After a hang: an authenticated ping must still be answered. */
  async pingAnswers(): Promise<boolean> {
    let lane = await this.authenticated(this.tokens.operator);
    if (!lane) {
      this.adoptFileToken();
      lane = await this.authenticated(this.tokens.operator);
    }
    if (!lane) return false;
    try {
      return (await lane.ask({ kind: 'ping' }, this.bound))?.kind === 'daemon_ping';
    } finally {
      lane.destroy();
    }
  }
}
