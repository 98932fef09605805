// The state verifier (SPEC 2): each drift kind, made by editing the database of an in-process
// daemon directly, gives exactly one drift item with the right kind and id; its suggested
// `repair.command`, sent as the `memory_repair` request it spells, leaves the report clean.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  dispatchedEvent,
  assertClean,
  assertOnly,
  auditRows,
  count,
  dispatchRecord,
  fixture,
  insertReceipt,
  insertRecord,
  runRepairCommand,
  verify,
  writtenRecord,
  type Fixture,
} from './helpers.js';

describe('verify: healthy state', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
  });
  after(() => fx.stop());

  test('a fresh daemon has no drift and lists every check', async () => {
    const report = await verify(fx.client);
    assert.equal(report.kind, 'verify_report');
    assert.equal(report.window, 100);
    assert.deepEqual(
      report.checks.map((c) => c.name),
      ['memory_audit', 'memory_parents', 'capability_audit', 'memory_receipts', 'audit_chain', 'store_integrity'],
    );
    assertClean(report);
  });

  test('dispatched and written records, parent chains and grants in the right shape are clean', async () => {
    const a = dispatchRecord(fx);
    const b = writtenRecord(fx, { parent: a.id });
    writtenRecord(fx, { parent: b.id, tier: 'longterm' });
    dispatchRecord(fx);
    // A compute receipt that also names the record (the dispatch's run) is not a memory receipt.
    insertReceipt(fx.db, { payer: fx.owner.pubkey, resource: 'compute', settled_at: a.created_at, memory_record_id: a.id, intent_id: a.id });
    await fx.client.request({ kind: 'capabilities_grant', action: 'audit.purge' });
    const report = await verify(fx.client);
    assertClean(report);
    assert.match(report.checks[0]!.message, /2 dispatch-written memory records/);
  });

  test('verify is read-only: it writes no audit row', async () => {
    const before = count(fx.db, 'SELECT count(*) AS n FROM audit_events');
    await verify(fx.client);
    await verify(fx.client, 5);
    assert.equal(count(fx.db, 'SELECT count(*) AS n FROM audit_events'), before);
  });
});

describe('verify: each drift kind, one item, repaired by its own command', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
  });
  after(() => fx.stop());

  test('memory_without_audit: a dispatch-written record without its intent_dispatched row', async () => {
    const rec = dispatchRecord(fx, { audit: false });
    const item = assertOnly(await verify(fx.client), 'memory_without_audit', rec.id);
    assert.equal(item.check, 'memory_audit');
    assert.deepEqual(item.repair, {
      action: 'backfill-audit',
      command: `covenant memory repair backfill-audit ${rec.id} --reason "covenant verify: memory_without_audit" --apply`,
      safe: true,
    });
    const result = await runRepairCommand(fx.client, item.repair.command);
    assert.equal(result.kind, 'memory_repair');
    assert.equal(result.applied, true);
    assert.deepEqual(result.changes.map((c) => c.op), ['insert_audit']);
    assertClean(await verify(fx.client));
    const backfilled = auditRows(fx.db, 'intent_dispatched').find((r) => r.payload.memory_record_id === rec.id)!;
    assert.equal(backfilled.payload.backfilled, true);
    const applied = auditRows(fx.db, 'memory_repair_applied').at(-1)!;
    assert.equal(applied.payload.action, 'backfill-audit');
    assert.equal(applied.payload.id, rec.id);
    assert.equal(applied.payload.reason, 'covenant verify: memory_without_audit');
  });

  test('audit_without_memory: the record named by an intent_dispatched row is gone (its receipt is not reported twice)', async () => {
    const rec = dispatchRecord(fx);
    fx.db.prepare('DELETE FROM memory_records WHERE id = ?').run(rec.id);
    const item = assertOnly(await verify(fx.client), 'audit_without_memory', rec.id);
    assert.equal(item.repair.action, 'delete');
    assert.equal(item.repair.safe, true);
    const result = await runRepairCommand(fx.client, item.repair.command);
    assert.deepEqual(result.changes.map((c) => c.op).sort(), ['insert_audit', 'void_receipt']);
    assertClean(await verify(fx.client));
    const applied = auditRows(fx.db, 'memory_repair_applied').at(-1)!;
    assert.equal(applied.payload.record_id, rec.id);
    assert.deepEqual(applied.payload.voided_receipt_ids, [rec.receiptId]);
    assert.equal(count(fx.db, 'SELECT count(*) AS n FROM receipts WHERE id = ?', rec.receiptId), 1, 'the receipt row itself is kept');
  });

  test('a vanished parent record is one fault: its delete repair also detaches the children', async () => {
    const parent = dispatchRecord(fx);
    const child = writtenRecord(fx, { parent: parent.id });
    fx.db.prepare('DELETE FROM memory_records WHERE id = ?').run(parent.id);
    const item = assertOnly(await verify(fx.client), 'audit_without_memory', parent.id);
    assert.match(item.message, /still name it as parent/);
    const result = await runRepairCommand(fx.client, item.repair.command);
    assert.ok(result.changes.some((c) => c.op === 'detach_parent' && c.id === child.id));
    assertClean(await verify(fx.client));
  });

  test('memory_stale_parent: a parent that does not exist', async () => {
    const rec = writtenRecord(fx, { parent: randomUUID() });
    const item = assertOnly(await verify(fx.client), 'memory_stale_parent', rec.id);
    assert.equal(item.repair.action, 'detach-parent');
    assert.equal(item.repair.safe, true);
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
    assert.equal((fx.db.prepare('SELECT parent FROM memory_records WHERE id = ?').get(rec.id) as { parent: string | null }).parent, null);
  });

  test('memory_parent_cycle: two records naming each other are one cycle, one item', async () => {
    const now = Date.now();
    const a = writtenRecord(fx, { created_at: now - 2000 });
    const b = writtenRecord(fx, { created_at: now - 1000, parent: a.id });
    fx.db.prepare('UPDATE memory_records SET parent = ? WHERE id = ?').run(b.id, a.id);
    const item = assertOnly(await verify(fx.client), 'memory_parent_cycle', a.id);
    assert.equal(item.repair.safe, false, 'detaching drops a real link');
    assert.match(item.message, new RegExp(`${a.id} -> ${b.id} -> ${a.id}|${b.id} -> ${a.id} -> ${b.id}`));
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
    assert.equal((fx.db.prepare('SELECT parent FROM memory_records WHERE id = ?').get(b.id) as { parent: string }).parent, a.id, 'the normal link stays');
  });

  test('memory_parent_cycle: a record that is its own parent', async () => {
    const a = writtenRecord(fx);
    fx.db.prepare('UPDATE memory_records SET parent = id WHERE id = ?').run(a.id);
    const item = assertOnly(await verify(fx.client), 'memory_parent_cycle', a.id);
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
  });

  test('capability_without_audit: a grant with no capability_granted row', async () => {
    const id = randomUUID();
    fx.db
      .prepare(
        `INSERT INTO capabilities (id, subject_display, subject_pubkey, action, scope, granted_by_display, granted_by_pubkey,
           expires_at, parent_id, issued_at, signature_b58, revoked_at)
         SELECT ?, subject_display, subject_pubkey, 'audit.read', scope, granted_by_display, granted_by_pubkey, expires_at, parent_id, ?, ?, NULL
         FROM capabilities LIMIT 1`,
      )
      .run(id, Date.now(), `forged-${id}`);
    const item = assertOnly(await verify(fx.client), 'capability_without_audit', id);
    assert.equal(item.check, 'capability_audit');
    assert.equal(item.repair.action, 'backfill-audit');
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
    const row = auditRows(fx.db, 'capability_granted').at(-1)!;
    assert.equal(row.payload.id, id);
    assert.equal(row.payload.backfilled, true);
  });

  test('memory_without_receipt: a record nothing paid for', async () => {
    const rec = writtenRecord(fx, { receipt: false });
    const item = assertOnly(await verify(fx.client), 'memory_without_receipt', rec.id);
    assert.equal(item.repair.action, 'backfill-receipt');
    const result = await runRepairCommand(fx.client, item.repair.command);
    assert.deepEqual(result.changes.map((c) => c.op), ['insert_receipt', 'link_receipt']);
    assertClean(await verify(fx.client));
    const receipt = fx.db.prepare("SELECT * FROM receipts WHERE memory_record_id = ? AND resource = 'memory'").get(rec.id) as Record<string, unknown>;
    assert.equal(receipt.payer, fx.owner.pubkey);
    assert.equal(receipt.credits_consumed, 0);
    assert.equal(receipt.settled_at, rec.created_at);
    assert.equal((fx.db.prepare('SELECT receipt_id FROM memory_records WHERE id = ?').get(rec.id) as { receipt_id: string }).receipt_id, receipt.id);
  });

  test('receipt_without_memory_record: a memory receipt for a record that never existed', async () => {
    const missing = randomUUID();
    const receiptId = insertReceipt(fx.db, { payer: fx.owner.pubkey, settled_at: Date.now(), memory_record_id: missing });
    const item = assertOnly(await verify(fx.client), 'receipt_without_memory_record', receiptId);
    assert.match(item.repair.command, new RegExp(`repair delete ${missing} `));
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
  });

  test('receipt_without_memory_record: a memory receipt that names no record', async () => {
    const receiptId = insertReceipt(fx.db, { payer: fx.owner.pubkey, settled_at: Date.now(), memory_record_id: null });
    const item = assertOnly(await verify(fx.client), 'receipt_without_memory_record', receiptId);
    assert.match(item.repair.command, new RegExp(`repair delete ${receiptId} `));
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
  });

  test('memory_receipt_duplicate: two memory receipts for one record', async () => {
    const rec = writtenRecord(fx);
    const extra = insertReceipt(fx.db, { payer: fx.owner.pubkey, settled_at: rec.created_at + 5, memory_record_id: rec.id });
    const item = assertOnly(await verify(fx.client), 'memory_receipt_duplicate', rec.id);
    assert.equal(item.repair.action, 'backfill-receipt');
    const result = await runRepairCommand(fx.client, item.repair.command);
    assert.deepEqual(result.changes, [{ op: 'void_receipt', table: 'receipts', id: extra, detail: `memory receipt marked: duplicate; ${rec.receiptId} is kept` }]);
    assertClean(await verify(fx.client));
  });

  test('memory_receipt_owner_mismatch: the receipt is paid by someone else', async () => {
    const rec = writtenRecord(fx);
    fx.db.prepare('UPDATE receipts SET payer = ? WHERE id = ?').run('SomeoneElse1111111111111111111111111111111', rec.receiptId);
    const item = assertOnly(await verify(fx.client), 'memory_receipt_owner_mismatch', rec.id);
    assert.equal(item.repair.safe, false);
    const result = await runRepairCommand(fx.client, item.repair.command);
    assert.deepEqual(result.changes.map((c) => c.op), ['insert_receipt', 'link_receipt', 'void_receipt']);
    assertClean(await verify(fx.client));
  });

  test('memory_receipt_resource_mismatch: the record names a compute receipt (the pre-memory-receipt pipeline shape)', async () => {
    const id = randomUUID();
    const now = Date.now();
    const compute = insertReceipt(fx.db, { payer: fx.owner.pubkey, resource: 'compute', settled_at: now, memory_record_id: id, intent_id: id });
    insertRecord(fx.db, { id, owner: fx.owner.pubkey, created_at: now, receipt_id: compute });
    fx.ctx.audit.append(fx.owner, dispatchedEvent(id, compute, null));
    const item = assertOnly(await verify(fx.client), 'memory_receipt_resource_mismatch', id);
    assert.equal(item.repair.safe, true);
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
    assert.equal(count(fx.db, 'SELECT count(*) AS n FROM receipts WHERE id = ?', compute), 1, 'the compute receipt stays');
  });

  test('memory_receipt_settled_before_created', async () => {
    const rec = writtenRecord(fx);
    fx.db.prepare('UPDATE receipts SET settled_at = ? WHERE id = ?').run(rec.created_at - 60_000, rec.receiptId);
    const item = assertOnly(await verify(fx.client), 'memory_receipt_settled_before_created', rec.id);
    await runRepairCommand(fx.client, item.repair.command);
    assertClean(await verify(fx.client));
  });

  test('store_schema_mismatch: user_version differs from the latest migration', async () => {
    const version = fx.db.pragma('user_version', { simple: true }) as number;
    fx.db.pragma(`user_version = ${version - 1}`);
    try {
      const item = assertOnly(await verify(fx.client), 'store_schema_mismatch');
      assert.equal(item.check, 'store_integrity');
      assert.deepEqual(item.repair, { action: 'manual', command: 'covenant doctor --json', safe: true });
    } finally {
      fx.db.pragma(`user_version = ${version}`);
    }
    assertClean(await verify(fx.client));
  });

  // Last in this daemon: a broken audit chain stays broken.
  test('audit_chain_broken: an edited audit row is reported once, with a manual (read-only) repair', async () => {
    const row = fx.db.prepare("SELECT seq, id FROM audit_events WHERE kind = 'daemon_started'").get() as { seq: number; id: string };
    fx.db.prepare('UPDATE audit_events SET payload = ? WHERE seq = ?').run('{"version":"forged"}', row.seq);
    const report = await verify(fx.client);
    const item = assertOnly(report, 'audit_chain_broken', row.id);
    assert.deepEqual(item.repair, { action: 'manual', command: 'covenant audit verify --json', safe: true });
    assert.match(item.message, new RegExp(`seq ${row.seq}`));
  });
});

describe('verify: a deleted intent_dispatched row (the chain breaks there too) is one fault', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
  });
  after(() => fx.stop());

  test('memory_without_audit names the chain failure; after the backfill the chain evidence remains', async () => {
    const rec = dispatchRecord(fx);
    writtenRecord(fx); // so the deleted row is in the middle of the chain
    fx.db.prepare("DELETE FROM audit_events WHERE kind = 'intent_dispatched' AND json_extract(payload, '$.memory_record_id') = ?").run(rec.id);
    const report = await verify(fx.client);
    const item = assertOnly(report, 'memory_without_audit', rec.id);
    assert.match(item.message, /audit chain fails at seq \d+/);
    const chain = report.checks.find((c) => c.name === 'audit_chain')!;
    assert.equal(chain.passed, false, 'the chain check still fails');
    assert.match(chain.message, new RegExp(`reported as memory_without_audit ${rec.id}`));

    await runRepairCommand(fx.client, item.repair.command);
    const after = await verify(fx.client);
    assertOnly(after, 'audit_chain_broken');
  });
});

describe('verify: recorded removals are not drift', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
    await fx.client.request({ kind: 'capabilities_grant', action: 'memory.purge' });
  });
  after(() => fx.stop());

  test('records removed by `memory purge` (tombstones) leave no orphaned audit rows or receipts', async () => {
    const dispatched = dispatchRecord(fx, { created_at: Date.now() - 5000 });
    const child = writtenRecord(fx, { parent: dispatched.id, created_at: Date.now() - 4000 });
    assertClean(await verify(fx.client));
    const reply = await fx.client.request({ kind: 'memory_purge', before_ms: Date.now() - 4500 });
    assert.equal(reply.kind, 'memory_purged', JSON.stringify(reply));
    assert.equal(reply.purged, 1);
    assert.equal(count(fx.db, 'SELECT count(*) AS n FROM memory_records WHERE id = ?', dispatched.id), 0);
    assert.equal((fx.db.prepare('SELECT parent FROM memory_records WHERE id = ?').get(child.id) as { parent: string | null }).parent, null);
    assertClean(await verify(fx.client));
  });

  test('a record removed by `memory repair delete` is recorded: nothing is left behind', async () => {
    const rec = dispatchRecord(fx);
    const child = writtenRecord(fx, { parent: rec.id });
    const result = await runRepairCommand(fx.client, `covenant memory repair delete ${rec.id} --reason "no longer wanted" --apply`);
    assert.deepEqual(result.changes.map((c) => c.op), ['detach_parent', 'void_receipt', 'delete_record']);
    assert.equal(result.changes[0]!.id, child.id);
    assertClean(await verify(fx.client));
  });
});

describe('verify: after `covenant audit purge`', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
    await fx.client.request({ kind: 'capabilities_grant', action: 'audit.purge' });
  });
  after(() => fx.stop());

  test('records and grants whose audit rows were purged behind the signed cut are not drift', async () => {
    dispatchRecord(fx, { created_at: Date.now() - 10 });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reply = await fx.client.request({ kind: 'audit_purge', before_ms: Date.now() });
    assert.equal(reply.kind, 'audit_purged', JSON.stringify(reply));
    assert.ok(Number(reply.purged) > 5);
    assert.equal(auditRows(fx.db, 'capability_granted').length, 0, 'the bootstrap grants rows are gone');
    assert.equal(auditRows(fx.db, 'intent_dispatched').length, 0);
    const report = await verify(fx.client);
    assertClean(report);
    assert.match(report.checks.find((c) => c.name === 'capability_audit')!.message, /older than the audit purge horizon skipped/);
    // Newer faults are still found.
    const rec = dispatchRecord(fx, { audit: false, created_at: Date.now() + 1 });
    assertOnly(await verify(fx.client), 'memory_without_audit', rec.id);
  });
});
