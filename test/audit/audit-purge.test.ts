import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { AuditLog, CHECKPOINT_EVERY, purgeAudit, verifyAuditChain, type AuditPurgeDeps } from '../../src/audit/index.js';
import { CovenantError, randomBase58 } from '../../src/core/index.js';
import type { IpcClient } from '../../src/ipc/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/in-process-daemon.js';
import { capabilityService, grantIfGated, logHarness, newAgent, type LogHarness } from './audit-test-helpers.js';
import { probe } from '../helpers/audit-probe.js';

const T0 = 1_700_000_000_000;

function deps(h: LogHarness): AuditPurgeDeps {
  return { db: h.db, audit: h.log, daemonPubkeyB58: h.keys.publicKeyB58, clock: h.clock };
}

/** Appends one row per timestamp, then moves the clock past all of them. */
function rowsAt(h: LogHarness, timestamps: number[]): void {
  for (const ts of timestamps) {
    h.clock.set(ts);
    h.log.append(h.operator, probe(ts));
  }
  h.clock.set(Math.max(...timestamps) + 1000);
}

function lastRow(h: LogHarness): { seq: number; kind: string; payload: Record<string, unknown> } {
  const row = h.db.prepare('SELECT seq, kind, payload FROM audit_events ORDER BY seq DESC LIMIT 1').get() as {
    seq: number;
    kind: string;
    payload: string;
  };
  return { ...row, payload: JSON.parse(row.payload) as Record<string, unknown> };
}

describe('purgeAudit', () => {
  test('purges the old prefix behind a signed cut and the remaining log verifies', () => {
    const h = logHarness();
    rowsAt(h, Array.from({ length: 10 }, (_, i) => T0 + i));
    const cutHash = (h.db.prepare('SELECT chain_hash FROM audit_events WHERE seq = 5').get() as { chain_hash: string }).chain_hash;
    const result = purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 5 });
    assert.equal(result.purged, 5);
    assert.equal(result.cut_seq, 5);
    assert.equal(result.cut_chain_hash, cutHash);
    assert.deepEqual(h.seqs(), [6, 7, 8, 9, 10, 11]);
    assert.deepEqual(h.checkpointSeqs(), [5], 'a signed checkpoint at the cut');
    const purgedRow = lastRow(h);
    assert.equal(purgedRow.kind, 'audit_purged');
    assert.deepEqual(purgedRow.payload, { before_ms: T0 + 5, cut_seq: 5, cut_chain_hash: cutHash, purged: 5 });
    assert.equal(result.event.seq, 11);
    const report = h.verify();
    assert.equal(report.valid, true, JSON.stringify(report.failures));
    assert.equal(report.events, 6);
    h.done();
  });

  test('never punches a hole: an old row after a newer one stays', () => {
    const h = logHarness();
    // The clock went backwards at seq 3: it is older than the cutoff but follows seq 2, which is not.
    rowsAt(h, [T0 + 100, T0 + 300, T0 + 50, T0 + 400]);
    const result = purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 250 });
    assert.equal(result.purged, 1);
    assert.equal(result.cut_seq, 1);
    assert.deepEqual(h.seqs(), [2, 3, 4, 5]);
    assert.equal(h.verify().valid, true);
    h.done();
  });

  test('nothing older than the cutoff: nothing deleted, the purge is still recorded', () => {
    const h = logHarness();
    rowsAt(h, [T0 + 100, T0 + 200]);
    const result = purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 100 });
    assert.deepEqual({ purged: result.purged, cut_seq: result.cut_seq, cut_chain_hash: result.cut_chain_hash }, { purged: 0, cut_seq: null, cut_chain_hash: null });
    assert.deepEqual(h.seqs(), [1, 2, 3]);
    assert.deepEqual(h.checkpointSeqs(), []);
    assert.equal(lastRow(h).kind, 'audit_purged');
    assert.equal(h.verify().valid, true);
    h.done();
  });

  test('purging every row: the chain continues from the cut, also for a restarted log', () => {
    const h = logHarness();
    rowsAt(h, [T0 + 1, T0 + 2, T0 + 3]);
    const lastHash = (h.db.prepare('SELECT chain_hash FROM audit_events WHERE seq = 3').get() as { chain_hash: string }).chain_hash;
    const result = purgeAudit(deps(h), { caller: h.operator, beforeMs: h.clock.now() });
    assert.equal(result.purged, 3);
    assert.equal(result.cut_seq, 3);
    // The audit_purged row was appended to an empty table: it must chain from the signed cut.
    assert.deepEqual(h.seqs(), [4]);
    assert.equal(h.verify().valid, true);

    // Purge again, everything including the previous audit_purged row.
    h.clock.advance(10);
    const second = purgeAudit(deps(h), { caller: h.operator, beforeMs: h.clock.now() });
    assert.equal(second.purged, 1);
    assert.equal(second.cut_seq, 4);
    assert.deepEqual(h.checkpointSeqs(), [4], 'older cuts are dropped');
    assert.equal(h.verify().valid, true);

    // A restarted daemon (a new AuditLog on the same database) keeps chaining.
    const restarted = new AuditLog(h.db, h.keys, h.clock);
    const next = restarted.append(h.operator, probe(0));
    assert.equal(next.seq, 6);
    const report = h.verify();
    assert.equal(report.valid, true, JSON.stringify(report.failures));
    assert.equal(report.events, 2);
    assert.notEqual(lastHash, report.root_hash_hex);
    h.done();
  });

  test('a purged log whose cut checkpoint is removed no longer verifies', () => {
    const h = logHarness();
    rowsAt(h, [T0 + 1, T0 + 2, T0 + 3, T0 + 9]);
    purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 3 });
    h.db.prepare('DELETE FROM audit_checkpoints').run();
    const report = h.verify();
    assert.equal(report.valid, false);
    assert.equal(report.failures[0]!.seq, 3);
    h.done();
  });

  test('checkpoints before the cut are dropped, the ones after it kept', () => {
    const h = logHarness();
    const count = 2 * CHECKPOINT_EVERY + 10;
    for (let i = 0; i < count; i += 1) {
      h.clock.set(T0 + i);
      h.log.append(h.operator, probe(i));
    }
    h.clock.set(T0 + count + 100);
    assert.deepEqual(h.checkpointSeqs(), [CHECKPOINT_EVERY, 2 * CHECKPOINT_EVERY]);
    // Cut exactly at an existing checkpoint: it is reused, not re-signed.
    const existing = h.db.prepare('SELECT * FROM audit_checkpoints WHERE seq = ?').get(CHECKPOINT_EVERY);
    const atCheckpoint = purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + CHECKPOINT_EVERY });
    assert.equal(atCheckpoint.cut_seq, CHECKPOINT_EVERY);
    assert.deepEqual(h.db.prepare('SELECT * FROM audit_checkpoints WHERE seq = ?').get(CHECKPOINT_EVERY), existing);
    // Cut between checkpoints: a new one is signed, the older one dropped, the later one kept.
    const mid = purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 1500 });
    assert.equal(mid.cut_seq, 1500);
    assert.deepEqual(h.checkpointSeqs(), [1500, 2 * CHECKPOINT_EVERY]);
    const report = h.verify();
    assert.equal(report.valid, true, JSON.stringify(report.failures));
    h.done();
  });

  test('refuses to purge a chain that is already broken at or before the cut, and keeps the evidence', () => {
    const h = logHarness();
    rowsAt(h, [T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5, T0 + 6]);
    h.db.prepare(`UPDATE audit_events SET payload = '{"ts":0}' WHERE seq = 2`).run();
    const before = h.seqs();
    assert.throws(
      () => purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 4 }),
      (error: unknown) => error instanceof CovenantError && error.code === 'E_CONFLICT' && /seq 2/.test(error.message),
    );
    assert.deepEqual(h.seqs(), before);
    assert.deepEqual(h.checkpointSeqs(), []);
    h.done();
  });

  test('tampering after the cut does not block the purge and stays detectable', () => {
    const h = logHarness();
    rowsAt(h, [T0 + 1, T0 + 2, T0 + 3, T0 + 4, T0 + 5, T0 + 6]);
    h.db.prepare(`UPDATE audit_events SET payload = '{"ts":0}' WHERE seq = 6`).run();
    const result = purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 3 });
    assert.equal(result.cut_seq, 2);
    const report = h.verify();
    assert.equal(report.valid, false);
    assert.deepEqual(report.failures.map((f) => f.seq), [6]);
    h.done();
  });

  test('bad cutoffs are E_BAD_REQUEST and delete nothing', () => {
    const h = logHarness();
    rowsAt(h, [T0 + 1, T0 + 2]);
    for (const beforeMs of [-1, 1.5, Number.NaN, h.clock.now() + 1]) {
      assert.throws(
        () => purgeAudit(deps(h), { caller: h.operator, beforeMs }),
        (error: unknown) => error instanceof CovenantError && error.code === 'E_BAD_REQUEST',
        String(beforeMs),
      );
    }
    assert.deepEqual(h.seqs(), [1, 2]);
    h.done();
  });
});

describe('audit_purge over the socket', () => {
  let t: TestDaemon;
  let operator: IpcClient;

  before(async () => {
    t = await startTestDaemon();
    grantIfGated(t.daemon.ctx, t.daemon.ctx.identity.agentId, 'audit.purge');
    operator = await t.session();
    await operator.request({ kind: 'submit_intent', text: 'something to purge' });
  });
  after(async () => {
    await t.stop();
  });

  const count = () => (t.daemon.ctx.db.prepare('SELECT count(*) AS n FROM audit_events').get() as { n: number }).n;
  const purgedRows = () => t.auditKinds().filter((k) => k === 'audit_purged').length;

  test('bad cutoffs are refused with E_BAD_REQUEST, audited, nothing deleted', async () => {
    const first = t.daemon.ctx.db.prepare('SELECT min(seq) AS s FROM audit_events').get() as { s: number };
    for (const params of [
      {},
      { before_ms: 1, older_than_ms: 1 },
      { before_ms: -1 },
      { older_than_ms: -5 },
      { before_ms: Date.now() + 60_000 },
      { older_than_ms: Date.now() + 60_000 },
      { before_ms: '12abc' },
      { before_ms: 1.5 },
    ]) {
      const rows = count();
      const reply = await operator.request({ kind: 'audit_purge', ...params });
      assert.equal(reply.kind, 'error', JSON.stringify(params));
      assert.equal(reply.code, 'E_BAD_REQUEST', JSON.stringify(params));
      assert.equal(count(), rows + 1, 'only the request_rejected row is added');
      assert.equal(t.auditKinds().at(-1), 'request_rejected');
    }
    assert.equal(purgedRows(), 0);
    assert.deepEqual(t.daemon.ctx.db.prepare('SELECT min(seq) AS s FROM audit_events').get(), first);
  });

  test('a purge with older_than_ms answers audit_purged and audit_verify stays valid', async () => {
    await new Promise((r) => setTimeout(r, 5));
    const reply = await operator.request({ kind: 'audit_purge', older_than_ms: 0 });
    assert.equal(reply.kind, 'audit_purged', JSON.stringify(reply));
    assert.ok(typeof reply.before_ms === 'number' && reply.before_ms <= Date.now());
    assert.ok((reply.purged as number) > 0);
    assert.equal(typeof reply.cut_seq, 'number');
    const verify = await operator.request({ kind: 'audit_verify' });
    assert.equal((verify.report as { valid: boolean }).valid, true, JSON.stringify(verify));
    const recent = await operator.request({ kind: 'audit_recent', kinds: ['audit_purged'] });
    const [row] = recent.events as Array<{ payload: Record<string, unknown> }>;
    assert.deepEqual(row?.payload, { before_ms: reply.before_ms, cut_seq: reply.cut_seq, cut_chain_hash: reply.cut_chain_hash, purged: reply.purged });
    // The log keeps chaining after the purge.
    await operator.request({ kind: 'submit_intent', text: 'after the purge' });
    assert.equal(((await operator.request({ kind: 'audit_verify' })).report as { valid: boolean }).valid, true);
  });

  test('a peer without audit.purge is refused and nothing is deleted', async (ctx) => {
    if (!capabilityService(t.daemon.ctx)) {
      ctx.skip('the daemon does not check capabilities yet (no ctx.capabilities)');
      return;
    }
    const bob = newAgent('bob@peer');
    const token = randomBase58(32);
    t.daemon.ctx.peers.register(token, bob, 'peer');
    const client = await t.session(token);
    const rows = count();
    const reply = await client.request({ kind: 'audit_purge', older_than_ms: 0 });
    assert.equal(reply.kind, 'error');
    assert.equal(reply.code, 'E_CAPABILITY_MISSING');
    assert.match(String(reply.message), /audit\.purge/);
    assert.ok(count() >= rows, 'nothing deleted');
    client.close();
  });
});

test('verifyAuditChain accepts the daemon key only for the purge cut', () => {
  const h = logHarness();
  rowsAt(h, [T0 + 1, T0 + 2, T0 + 3]);
  purgeAudit(deps(h), { caller: h.operator, beforeMs: T0 + 3 });
  const stranger = newAgent('x@y');
  const report = verifyAuditChain(h.db, stranger.pubkey);
  assert.equal(report.valid, false);
  assert.match(report.failures[0]!.reason, /signature/);
  h.done();
});
