import { randomBytes } from 'node:crypto';
import { toBase58 } from '../../src/core/index.js';
import type { DaemonContext } from '../../src/requests/index.js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../../src/gateway/index.js';
import type { AgentId } from '../../src/identity/index.js';
import { hashToken, mintToken } from '../../src/peers/index.js';
import { DaemonFixture, type FixtureOptions } from '../helpers/daemon-fixture.js';

export interface GatewayFixture {
  t: DaemonFixture;
  ctx: DaemonContext;
  gw: RunningGateway;
  url: string;
  /** Headers carrying the operator token (or the given one). */
  bearer(token?: string): Record<string, string>;
  stop(): Promise<void>;
}

/** A real in-process daemon with a real gateway on 127.0.0.1 and an ephemeral port. */
export async function startGatewayFixture(options: Partial<GatewayOptions> = {}, daemonOptions: FixtureOptions = {}): Promise<GatewayFixture> {
  const t = await DaemonFixture.start(daemonOptions);
  const ctx = t.daemon.ctx;
  let gw: RunningGateway;
  try {
    gw = await startGateway(ctx, { host: '127.0.0.1', port: 0, origins: [], ...options });
    ctx.gatewayUrl = gw.url; // as the daemon does: `covenant console` names it
    // As the daemon does: a revocation closes this gateway's streams of the revoked token.
    const running = gw;
    ctx.disconnect.add({ count: (hash) => running.countToken(hash), close: (hash) => running.disconnectToken(hash) });
  } catch (error) {
    await t.stop();
    throw error;
  }
  return {
    t,
    ctx,
    gw,
    url: gw.url,
    bearer: (token = t.operatorToken()) => ({ authorization: `Bearer ${token}` }),
    async stop() {
      await gw.close();
      await t.stop();
    },
  };
}

export interface AuditRowJson {
  seq: number;
  kind: string;
  issuer_pubkey: string;
  payload: Record<string, unknown>;
}

export function auditRows(ctx: DaemonContext, kind?: string): AuditRowJson[] {
  const rows = (
    kind === undefined
      ? ctx.db.prepare('SELECT seq, kind, issuer_pubkey, payload FROM audit_events ORDER BY seq').all()
      : ctx.db.prepare('SELECT seq, kind, issuer_pubkey, payload FROM audit_events WHERE kind = ? ORDER BY seq').all(kind)
  ) as Array<{ seq: number; kind: string; issuer_pubkey: string; payload: string }>;
  return rows.map((row) => ({ ...row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
}

export function lastSeq(ctx: DaemonContext): number {
  const row = ctx.db.prepare('SELECT MAX(seq) AS seq FROM audit_events').get() as { seq: number | null };
  return row.seq ?? 0;
}

export function rowsAfter(ctx: DaemonContext, seq: number): AuditRowJson[] {
  return auditRows(ctx).filter((row) => row.seq > seq);
}

/** The whole audit table as text: for "no token appears anywhere" checks. */
export function auditTableText(ctx: DaemonContext): string {
  return JSON.stringify(ctx.db.prepare('SELECT * FROM audit_events').all());
}

export interface TestPeer {
  token: string;
  agentId: AgentId;
  tokenHash: string;
}

export function registerPeer(ctx: DaemonContext, name: string): TestPeer {
  const token = mintToken();
  const agentId = { display: `${name}@test`, pubkey: toBase58(randomBytes(32)) };
  ctx.peers.register(token, agentId, 'peer');
  return { token, agentId, tokenHash: hashToken(token) };
}

export function revokeByHash(ctx: DaemonContext, tokenHash: string): void {
  const changed = ctx.db.prepare('UPDATE peers SET revoked_at = ? WHERE token_hash = ?').run(Date.now(), tokenHash).changes;
  if (changed !== 1) throw new Error(`expected to revoke one peer, revoked ${changed}`);
}

/** Reads a server-sent event stream as text. */
export class SseReader {
  text = '';
  done = false;
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private pump: Promise<void> | null = null;

  constructor(response: Response) {
    if (!response.body) throw new Error('the response has no body');
    this.reader = response.body.getReader();
  }

  private read(): Promise<void> {
    this.pump ??= this.reader.read().then(
      ({ value, done }) => {
        this.pump = null;
        if (done) this.done = true;
        else this.text += this.decoder.decode(value, { stream: true });
      },
      () => {
        this.pump = null;
        this.done = true;
      },
    );
    return this.pump;
  }

  /** Waits until the text satisfies `predicate` (or the stream ends, or the timeout passes). */
  async until(predicate: (text: string) => boolean, timeoutMs = 60_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.text) && !this.done) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      // unref: a pending wait must not keep the test process alive once the tests are done.
      await Promise.race([this.read(), new Promise((resolve) => setTimeout(resolve, left).unref())]);
    }
    return predicate(this.text);
  }

  /** Waits for the end of the stream; true when it ended within the timeout. */
  async ended(timeoutMs = 60_000): Promise<boolean> {
    await this.until(() => false, timeoutMs);
    return this.done;
  }

  /** The parsed `event: audit` blocks received so far. */
  events(): Array<{ event: string | null; id: string | null; data: unknown }> {
    const complete = this.text.slice(0, Math.max(0, this.text.lastIndexOf('\n\n')));
    return complete
      .split('\n\n')
      .filter((block) => block.split('\n').some((line) => line.startsWith('data: ')))
      .map((block) => {
        const lines = block.split('\n');
        const field = (name: string) => lines.find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? null;
        const data = lines
          .filter((line) => line.startsWith('data: '))
          .map((line) => line.slice(6))
          .join('\n');
        return { event: field('event'), id: field('id'), data: JSON.parse(data) as unknown };
      });
  }

  async cancel(): Promise<void> {
    await this.reader.cancel().catch(() => undefined);
  }
}

/** The operator grants `action` to a peer through the daemon's capability service. */
export function grantAction(ctx: DaemonContext, subject: AgentId, action: string): void {
  ctx.capabilities.grant({ caller: ctx.identity.agentId, callerIsOperator: true, action, subject });
}
