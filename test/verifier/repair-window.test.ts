// The state verifier's window, and `memory_repair`'s dry runs, capabilities, reasons and
// unknown ids (SPEC 2).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { REPAIR_ACTIONS, REQUESTS } from '../../src/protocol/index.js';
import { repairCommand, splitCommandLine } from '../../src/verifier/index.js';
import {
  assertClean,
  assertOnly,
  auditRows,
  count,
  dispatchRecord,
  fixture,
  insertRecord,
  ok,
  verify,
  writtenRecord,
  type Fixture,
} from './helpers.js';

describe('verify --window', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture();
  });
  after(() => fx.stop());

  test('only the newest N memory records are read', async () => {
    const now = Date.now();
    const stale = writtenRecord(fx, { parent: randomUUID(), created_at: now - 60_000 });
    for (let i = 0; i < 6; i += 1) writtenRecord(fx, { created_at: now - 50_000 + i });
    assertClean(await verify(fx.client, 5));
    assertOnly(await verify(fx.client, 7), 'memory_stale_parent', stale.id);
    assertOnly(await verify(fx.client), 'memory_stale_parent', stale.id);
    fx.db.prepare('UPDATE memory_records SET parent = NULL WHERE id = ?').run(stale.id);
  });

  test('only the newest N audit rows are read for intent_dispatched rows', async () => {
    const gone = dispatchRecord(fx, { created_at: Date.now() - 40_000 });
    fx.db.prepare('DELETE FROM memory_records WHERE id = ?').run(gone.id);
    for (let i = 0; i < 6; i += 1) writtenRecord(fx);
    // The record's receipt is old too (outside the newest receipts), and the row is not among the newest 5 audit rows.
    assertClean(await verify(fx.client, 5));
    assertOnly(await verify(fx.client, 1000), 'audit_without_memory', gone.id);
    await ok(fx.client, { kind: 'memory_repair', action: 'delete', target_id: gone.id, reason: 'test', apply: true });
    assertClean(await verify(fx.client, 1000));
  });

  // How long such a window takes is a benchmark figure, not something a test can assert under load.
  test('a large window (thousands of rows) is verified whole', async () => {
    fx.db.transaction(() => {
      for (let i = 0; i < 2100; i += 1) dispatchRecord(fx, { created_at: Date.now() - 30_000 + i });
    })();
    const lost = dispatchRecord(fx, { created_at: Date.now() - 31_000, audit: false });
    const report = await verify(fx.client, 10_000);
    assertOnly(report, 'memory_without_audit', lost.id);
    assert.match(report.checks[0]!.message, /2101 dispatch-written memory records/);
    await ok(fx.client, { kind: 'memory_repair', action: 'backfill-audit', target_id: lost.id, reason: 'test', apply: true });
    assertClean(await verify(fx.client, 10_000));
  });

  test('the window is echoed, defaults to 100 and is bounded', async () => {
    assert.equal((await verify(fx.client)).window, 100);
    assert.equal((await verify(fx.client, 3)).window, 3);
    for (const window of [0, -1, 1.5, 100_001]) {
      const reply = await fx.client.request({ kind: 'verify', window });
      assert.equal(reply.kind, 'error');
      assert.equal(reply.code, 'E_BAD_REQUEST');
    }
  });
});

describe('memory_repair', () => {
  let fx: Fixture;
  before(async () => {
    fx = await fixture({ grantRepair: false });
  });
  after(() => fx.stop());

  test('needs memory.repair.dry_run for a dry run and memory.repair.apply to apply', async () => {
    const rec = writtenRecord(fx, { parent: randomUUID() });
    const request = { kind: 'memory_repair', action: 'detach-parent', target_id: rec.id, reason: 'tidy' };
    const dry = await fx.client.request(request);
    assert.equal(dry.code, 'E_CAPABILITY_MISSING');
    assert.match(String(dry.message), /memory\.repair\.dry_run/);
    await ok(fx.client, { kind: 'capabilities_grant', action: 'memory.repair.dry_run' });
    const planned = await ok(fx.client, request);
    assert.equal(planned.applied, false);
    const applied = await fx.client.request({ ...request, apply: true });
    assert.equal(applied.code, 'E_CAPABILITY_MISSING');
    assert.match(String(applied.message), /memory\.repair\.apply/);
    assert.notEqual((fx.db.prepare('SELECT parent FROM memory_records WHERE id = ?').get(rec.id) as { parent: string | null }).parent, null);
    await ok(fx.client, { kind: 'capabilities_grant', action: 'memory.repair.apply' });
    assert.equal((await ok(fx.client, { ...request, apply: true })).applied, true);
  });

  test('a dry run lists the changes, changes nothing and writes memory_repair_planned', async () => {
    const rec = dispatchRecord(fx);
    const child = writtenRecord(fx, { parent: rec.id });
    const before = {
      records: count(fx.db, 'SELECT count(*) AS n FROM memory_records'),
      receipts: count(fx.db, 'SELECT count(*) AS n FROM receipts'),
      applied: auditRows(fx.db, 'memory_repair_applied').length,
    };
    const reply = await ok(fx.client, { kind: 'memory_repair', action: 'delete', target_id: rec.id, reason: 'dry run first' });
    assert.deepEqual(reply, {
      kind: 'memory_repair',
      action: 'delete',
      id: rec.id,
      applied: false,
      changes: [
        { op: 'detach_parent', table: 'memory_records', id: child.id, detail: `parent ${rec.id} removed` },
        { op: 'void_receipt', table: 'receipts', id: rec.receiptId, detail: `memory receipt marked: memory record ${rec.id} deleted` },
        { op: 'delete_record', table: 'memory_records', id: rec.id, detail: 'memory record deleted' },
      ],
    });
    assert.equal(count(fx.db, 'SELECT count(*) AS n FROM memory_records'), before.records);
    assert.equal(count(fx.db, 'SELECT count(*) AS n FROM receipts'), before.receipts);
    assert.equal(auditRows(fx.db, 'memory_repair_applied').length, before.applied);
    const planned = auditRows(fx.db, 'memory_repair_planned').at(-1)!;
    assert.equal(planned.payload.action, 'delete');
    assert.equal(planned.payload.id, rec.id);
    assert.equal(planned.payload.reason, 'dry run first');
    assertClean(await verify(fx.client));
  });

  test('an unknown id is E_NOT_FOUND and changes nothing', async () => {
    const records = count(fx.db, 'SELECT count(*) AS n FROM memory_records');
    const repairRows = count(fx.db, "SELECT count(*) AS n FROM audit_events WHERE kind LIKE 'memory_repair_%'");
    for (const action of REPAIR_ACTIONS) {
      const reply = await fx.client.request({ kind: 'memory_repair', action, target_id: randomUUID(), reason: 'x', apply: true });
      assert.equal(reply.kind, 'error', action);
      assert.equal(reply.code, 'E_NOT_FOUND', action);
    }
    assert.equal(count(fx.db, 'SELECT count(*) AS n FROM memory_records'), records);
    assert.equal(count(fx.db, "SELECT count(*) AS n FROM audit_events WHERE kind LIKE 'memory_repair_%'"), repairRows);
  });

  test('a reason is required and must not be blank', async () => {
    const rec = writtenRecord(fx);
    for (const reason of [undefined, '', '   ']) {
      const reply = await fx.client.request({ kind: 'memory_repair', action: 'detach-parent', target_id: rec.id, reason, apply: true });
      assert.equal(reply.code, 'E_BAD_REQUEST', String(reason));
    }
  });

  test('an applied repair with nothing to change says so and is still audited', async () => {
    const rec = writtenRecord(fx);
    const reply = await ok(fx.client, { kind: 'memory_repair', action: 'backfill-receipt', target_id: rec.id, reason: 'check', apply: true });
    assert.equal(reply.applied, false);
    assert.deepEqual(reply.changes, []);
    const row = auditRows(fx.db, 'memory_repair_applied').at(-1)!;
    assert.equal(row.payload.id, rec.id);
    assert.equal(row.payload.changes, 0);
  });

  test('backfill-audit refuses a record that dispatch did not write', async () => {
    const rec = writtenRecord(fx);
    const reply = await fx.client.request({ kind: 'memory_repair', action: 'backfill-audit', target_id: rec.id, reason: 'x', apply: true });
    assert.equal(reply.code, 'E_CONFLICT');
  });

  test("verify is operator-only; a peer holding memory.repair.* repairs only its own records", async () => {
    const added = await ok(fx.client, { kind: 'peers_add', name: 'guest' });
    const guestId = added.agent_id as { display: string; pubkey: string };
    const guest = await fx.t.session(String(added.token_b58));
    const reply = await guest.request({ kind: 'verify' });
    assert.equal(reply.code, 'E_FORBIDDEN');

    await ok(fx.client, { kind: 'capabilities_grant', action: 'memory.repair.*', to: guestId.pubkey });
    const operatorRecord = writtenRecord(fx, { parent: randomUUID() });
    for (const action of REPAIR_ACTIONS) {
      const refused = await guest.request({ kind: 'memory_repair', action, target_id: operatorRecord.id, reason: 'not mine', apply: true });
      assert.equal(refused.code, 'E_NOT_FOUND', `${action}: another owner's record looks missing`);
    }
    const refusedReceipt = await guest.request({ kind: 'memory_repair', action: 'delete', target_id: operatorRecord.receiptId, reason: 'x', apply: true });
    assert.equal(refusedReceipt.code, 'E_NOT_FOUND');
    assert.notEqual((fx.db.prepare('SELECT parent FROM memory_records WHERE id = ?').get(operatorRecord.id) as { parent: string | null }).parent, null);

    const guestRecord = insertRecord(fx.db, { owner: guestId.pubkey, source: 'memory_write', parent: randomUUID() });
    const fixed = await ok(guest, { kind: 'memory_repair', action: 'detach-parent', target_id: guestRecord, reason: 'mine', apply: true });
    assert.equal(fixed.applied, true);
    const receipt = await ok(guest, { kind: 'memory_repair', action: 'backfill-receipt', target_id: guestRecord, reason: 'mine', apply: true });
    assert.equal(receipt.applied, true);
    await ok(fx.client, { kind: 'memory_repair', action: 'detach-parent', target_id: operatorRecord.id, reason: 'tidy', apply: true });
    assertClean(await verify(fx.client));
  });
});

describe('request table and commands', () => {
  test('verify is GET /verify, read-only, operator-only; memory_repair is POST /memory/repair', () => {
    assert.deepEqual(REQUESTS.verify.http, { method: 'GET', path: '/verify' });
    assert.equal(REQUESTS.verify.mutates, false);
    assert.deepEqual(REQUESTS.verify.authorize({}), { action: null, operatorOnly: true });
    assert.deepEqual(REQUESTS.memory_repair.http, { method: 'POST', path: '/memory/repair' });
    const params = { action: 'delete' as const, target_id: 'x', reason: 'r' };
    assert.deepEqual(REQUESTS.memory_repair.authorize(params), { action: 'memory.repair.dry_run' });
    assert.deepEqual(REQUESTS.memory_repair.authorize({ ...params, apply: true }), { action: 'memory.repair.apply' });
  });

  test('repair commands quote what a shell would change, and split back to the same words', () => {
    assert.equal(
      repairCommand('delete', 'abc-123', 'covenant verify: audit_without_memory'),
      'covenant memory repair delete abc-123 --reason "covenant verify: audit_without_memory" --apply',
    );
    const odd = repairCommand('detach-parent', "it's $odd", 'say "why" $HOME');
    assert.deepEqual(splitCommandLine(odd), ['covenant', 'memory', 'repair', 'detach-parent', "it's $odd", '--reason', 'say "why" $HOME', '--apply']);
  });
});
