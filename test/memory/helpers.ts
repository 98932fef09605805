import assert from 'node:assert/strict';
import type { AgentId } from '../../src/identity/index.js';
import type { IpcClient, WireMessage } from '../../src/ipc/index.js';
import { mintToken } from '../../src/peers/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';

export interface MemoryFixture {
  t: DaemonFixture;
  op: IpcClient;
  call(message: WireMessage, client?: IpcClient): Promise<WireMessage>;
  ok(message: WireMessage, client?: IpcClient): Promise<WireMessage>;
  /** Asserts an error reply with this code; returns its message. */
  refused(message: WireMessage, code: string, client?: IpcClient): Promise<string>;
  /** A registered peer (with a daemon-held key) and an authenticated session for it. */
  peer(name: string): Promise<{ agentId: AgentId; client: IpcClient }>;
  grant(action: string, subject?: AgentId, scope?: Record<string, unknown>): void;
  count(table: string, where?: string, ...args: unknown[]): number;
  auditRows(kind: string): Array<Record<string, unknown>>;
  /** A digest of memory, receipts, tombstones (and memory audit rows): equal before and after = nothing changed. */
  snapshot(options?: { audit?: boolean }): string;
  stop(): Promise<void>;
}

export async function memoryFixture(): Promise<MemoryFixture> {
  const t = await DaemonFixture.start();
  const op = await t.session();
  const ctx = t.daemon.ctx;
  const db = ctx.db;
  const call = async (message: WireMessage, client: IpcClient = op) => {
    const reply = await client.request(message);
    delete reply.id;
    return reply;
  };
  const fixture: MemoryFixture = {
    t,
    op,
    call,
    async ok(message, client) {
      const reply = await call(message, client);
      assert.notEqual(reply.kind, 'error', `${String(message.kind)} failed: ${JSON.stringify(reply)}`);
      return reply;
    },
    async refused(message, code, client) {
      const reply = await call(message, client);
      assert.equal(reply.kind, 'error', `${String(message.kind)} should be refused: ${JSON.stringify(reply)}`);
      assert.equal(reply.code, code, JSON.stringify(reply));
      return String(reply.message);
    },
    async peer(name) {
      const { agentId } = ctx.identityKeys.create(name);
      const token = mintToken();
      ctx.peers.register(token, agentId, 'peer');
      return { agentId, client: await t.session(token) };
    },
    grant(action, subject = ctx.identity.agentId, scope = {}) {
      ctx.capabilities.grant({ caller: ctx.identity.agentId, callerIsOperator: true, action, subject, scope, expiresAt: null });
    },
    count: (table, where, ...args) => t.count(table, where, ...args),
    auditRows: (kind) => t.auditPayloads(kind),
    snapshot(options = {}) {
      return JSON.stringify({
        memory: db.prepare('SELECT id, tier, owner, text, created_at, parent, receipt_id, stale FROM memory_records ORDER BY id').all(),
        receipts: db.prepare('SELECT * FROM receipts ORDER BY id').all(),
        tombstones: db.prepare('SELECT * FROM memory_tombstones ORDER BY record_id').all(),
        memoryAudit: options.audit === false ? null : db.prepare("SELECT count(*) AS n FROM audit_events WHERE kind LIKE 'memory_%'").get(),
      });
    },
    stop: () => t.stop(),
  };
  return fixture;
}

export async function write(f: MemoryFixture, text: string, extra: Record<string, unknown> = {}, client?: IpcClient): Promise<Record<string, unknown>> {
  const reply = await f.ok({ kind: 'memory_write', text, ...extra }, client);
  return reply.record as Record<string, unknown>;
}

export { sleep } from '../helpers/wait.js';

/**
 * The consistency `covenant verify` checks for memory (SPEC 2), computed directly: every record
 * has exactly one receipt naming it, every receipt naming a record has the record or its
 * tombstone, and every parent resolves. Returns the problems found.
 */
export function memoryConsistency(f: MemoryFixture): string[] {
  const db = f.t.daemon.ctx.db;
  const problems: string[] = [];
  for (const row of db.prepare('SELECT id, receipt_id FROM memory_records').all() as Array<{ id: string; receipt_id: string | null }>) {
    const n = (db.prepare('SELECT count(*) AS n FROM receipts WHERE memory_record_id = ?').get(row.id) as { n: number }).n;
    if (n !== 1) problems.push(`record ${row.id} has ${n} receipts`);
  }
  const orphans = db
    .prepare(
      `SELECT r.id FROM receipts r WHERE r.memory_record_id IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM memory_records m WHERE m.id = r.memory_record_id)
         AND NOT EXISTS (SELECT 1 FROM memory_tombstones t WHERE t.record_id = r.memory_record_id)`,
    )
    .all() as Array<{ id: string }>;
  for (const o of orphans) problems.push(`receipt ${o.id} names a record that is neither present nor tombstoned`);
  const dangling = db
    .prepare('SELECT id FROM memory_records m WHERE parent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM memory_records p WHERE p.id = m.parent)')
    .all() as Array<{ id: string }>;
  for (const d of dangling) problems.push(`record ${d.id} has a parent that does not resolve`);
  return problems;
}
