/**
 * Fixtures for the state verifier tests: an in-process daemon, and rows written straight into
 * its database in the shapes the SPEC wants (a memory record, its one `memory` receipt paid by
 * its owner, its audit row), so each test can break exactly one thing.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { DaemonContext } from '../../src/requests/index.js';
import type { AgentId } from '../../src/identity/index.js';
import type { IpcClient, WireMessage } from '../../src/ipc/index.js';
import type { Db } from '../../src/store/index.js';
import type { DriftItem, MemoryRepairResult, VerifyReport } from '../../src/protocol/index.js';
import { splitCommandLine } from '../../src/verifier/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/in-process-daemon.js';
import type { NewAuditEvent } from '../../src/audit/index.js';

export interface Fixture {
  t: TestDaemon;
  ctx: DaemonContext;
  db: Db;
  client: IpcClient;
  owner: AgentId;
  stop(): Promise<void>;
}

export async function fixture(options: { grantRepair?: boolean } = {}): Promise<Fixture> {
  const t = await startTestDaemon();
  const client = await t.session();
  const ctx = t.daemon.ctx;
  if (options.grantRepair !== false) await ok(client, { kind: 'capabilities_grant', action: 'memory.repair.*' });
  return { t, ctx, db: ctx.db, client, owner: ctx.identity.agentId, stop: () => t.stop() };
}

/** Sends a request and asserts it was not refused. */
export async function ok(client: IpcClient, request: WireMessage): Promise<WireMessage> {
  const reply = await client.request(request);
  assert.notEqual(reply.kind, 'error', `${String(request.kind)} refused: ${JSON.stringify(reply)}`);
  return reply;
}

export async function verify(client: IpcClient, window?: number): Promise<VerifyReport> {
  const reply = await ok(client, { kind: 'verify', ...(window === undefined ? {} : { window }) });
  assert.equal(reply.kind, 'verify_report');
  return reply as unknown as VerifyReport;
}

export function assertClean(report: VerifyReport): void {
  assert.deepEqual(report.drift, [], `expected no drift, got ${JSON.stringify(report.drift, null, 2)}`);
  assert.equal(report.orphans_total, 0);
  for (const check of report.checks) assert.equal(check.passed, true, `${check.name}: ${check.message}`);
}

/** Exactly one drift item, of this kind and id. */
export function assertOnly(report: VerifyReport, kind: string, id?: string): DriftItem {
  assert.equal(report.drift.length, 1, `expected exactly one drift item (${kind}), got ${JSON.stringify(report.drift, null, 2)}`);
  const item = report.drift[0]!;
  assert.equal(item.kind, kind, item.message);
  if (id !== undefined) assert.equal(item.id, id);
  assert.equal(report.orphans_total, 1);
  const failing = report.checks.filter((c) => !c.passed).map((c) => c.name);
  assert.ok(failing.includes(item.check), `check ${item.check} should fail: ${JSON.stringify(report.checks)}`);
  return item;
}

/** Parses a drift item's `repair.command` and sends the `memory_repair` request it stands for. */
export async function runRepairCommand(client: IpcClient, command: string, options: { dryRun?: boolean } = {}): Promise<MemoryRepairResult> {
  const words = splitCommandLine(command);
  assert.deepEqual(words.slice(0, 3), ['covenant', 'memory', 'repair'], command);
  const [, , , action, id, reasonFlag, reason, ...rest] = words;
  assert.equal(reasonFlag, '--reason', command);
  assert.deepEqual(rest, ['--apply'], command);
  const reply = await ok(client, { kind: 'memory_repair', action, target_id: id, reason, apply: options.dryRun !== true });
  return reply as unknown as MemoryRepairResult;
}

const EMBEDDING = Buffer.from(new Float32Array([0.5, 0.5, 0.5, 0.5]).buffer);

export interface RecordInput {
  id?: string;
  owner: string;
  tier?: 'working' | 'episodic' | 'longterm';
  source?: string;
  created_at?: number;
  parent?: string | null;
  receipt_id?: string | null;
}

export function insertRecord(db: Db, input: RecordInput): string {
  const id = input.id ?? randomUUID();
  const metadata = input.source === undefined ? { source: 'dispatch', agent: 'hello' } : { source: input.source };
  db.prepare(
    `INSERT INTO memory_records (id, tier, owner, text, embedding, metadata, created_at, parent, receipt_id, stale)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`,
  ).run(id, input.tier ?? 'working', input.owner, `text of ${id}`, EMBEDDING, JSON.stringify(metadata), input.created_at ?? Date.now(), input.parent ?? null, input.receipt_id ?? null);
  return id;
}

export interface ReceiptInput {
  id?: string;
  payer: string;
  resource?: 'compute' | 'memory' | 'tool' | 'message';
  settled_at: number;
  memory_record_id: string | null;
  intent_id?: string | null;
}

export function insertReceipt(db: Db, input: ReceiptInput): string {
  const id = input.id ?? randomUUID();
  db.prepare(
    `INSERT INTO receipts (id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id, failure_reason)
     VALUES (?, ?, ?, 'ok', 1, ?, ?, ?, NULL)`,
  ).run(id, input.payer, input.resource ?? 'memory', input.settled_at, input.intent_id ?? null, input.memory_record_id);
  return id;
}

export interface Written {
  id: string;
  receiptId: string;
  created_at: number;
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/** The `intent_dispatched` event of a dispatch by agent `hello` that wrote memory record `id` (its answer and intent empty). */
export function dispatchedEvent(id: string, computeReceiptId: string, memoryReceiptId: string | null): NewAuditEvent {
  return {
    kind: 'intent_dispatched',
    payload: {
      intent_id: id,
      agent: 'hello',
      backend: 'trusted-local',
      routed_by: 'keyword',
      receipt_id: computeReceiptId,
      wall_ms: 0,
      credits: 0,
      text_bytes: 0,
      text_sha256: EMPTY_SHA256,
      memory_record_id: id,
      memory_receipt_id: memoryReceiptId,
      answer_bytes: 0,
      answer_sha256: EMPTY_SHA256,
    },
  };
}

/**
 * What a successful dispatch leaves (the SPEC shape): a working record with id = intent_id, its
 * `memory` receipt (payer = owner) named by record.receipt_id, and its `intent_dispatched` row.
 */
export function dispatchRecord(fx: Fixture, options: { created_at?: number; audit?: boolean; parent?: string | null } = {}): Written {
  const id = randomUUID();
  const receiptId = randomUUID();
  const created = options.created_at ?? Date.now();
  fx.db.transaction(() => {
    insertReceipt(fx.db, { id: receiptId, payer: fx.owner.pubkey, settled_at: created, memory_record_id: id, intent_id: id });
    insertRecord(fx.db, { id, owner: fx.owner.pubkey, created_at: created, receipt_id: receiptId, parent: options.parent ?? null });
    if (options.audit !== false) {
      fx.ctx.audit.append(fx.owner, dispatchedEvent(id, receiptId, receiptId));
    }
  })();
  return { id, receiptId, created_at: created };
}

/** What `memory write` leaves: a record (not dispatch-written), its memory receipt, a `memory_written` row. */
export function writtenRecord(fx: Fixture, options: { created_at?: number; parent?: string | null; receipt?: boolean; tier?: 'working' | 'episodic' | 'longterm' } = {}): Written {
  const id = randomUUID();
  const receiptId = randomUUID();
  const created = options.created_at ?? Date.now();
  fx.db.transaction(() => {
    if (options.receipt !== false) insertReceipt(fx.db, { id: receiptId, payer: fx.owner.pubkey, settled_at: created, memory_record_id: id });
    insertRecord(fx.db, {
      id,
      owner: fx.owner.pubkey,
      tier: options.tier ?? 'episodic',
      source: 'memory_write',
      created_at: created,
      parent: options.parent ?? null,
      receipt_id: options.receipt === false ? null : receiptId,
    });
    fx.ctx.audit.append(fx.owner, {
      kind: 'memory_written',
      payload: { id, tier: options.tier ?? 'episodic', parent: options.parent ?? null, receipt_id: receiptId, credits: 0, text_bytes: 0, text_sha256: EMPTY_SHA256 },
    });
  })();
  return { id, receiptId, created_at: created };
}

export function count(db: Db, sql: string, ...args: unknown[]): number {
  return (db.prepare(sql).get(...args) as { n: number }).n;
}

export function auditRows(db: Db, kind: string): Array<{ seq: number; payload: Record<string, unknown> }> {
  return (db.prepare('SELECT seq, payload FROM audit_events WHERE kind = ? ORDER BY seq').all(kind) as Array<{ seq: number; payload: string }>).map(
    (r) => ({ seq: r.seq, payload: JSON.parse(r.payload) as Record<string, unknown> }),
  );
}
