/**
 * The chain head an AuditLog remembers between rows of one transaction (audit-log.ts
 * `chainHead`, store/transaction-marks.ts): whatever rolls back, the next row chains onto the
 * newest row that is really there.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AuditLog, RequestRows, runWithRequestRows } from '../../src/audit/index.js';
import { GroupCommit } from '../../src/store/index.js';
import { probe } from '../helpers/audit-probe.js';
import { logHarness } from './audit-test-helpers.js';

test('a savepoint rolled back inside an open transaction: the next row chains onto the row before it', () => {
  const t = logHarness();
  t.log.append(t.operator, probe(1));
  t.db.transaction(() => {
    t.log.append(t.operator, probe(2));
    assert.throws(() =>
      t.db.transaction(() => {
        t.log.append(t.operator, probe(3));
        throw new Error('change failed');
      })(),
    );
    t.log.append(t.operator, probe(4));
  })();
  assert.deepEqual(t.seqs(), [1, 2, 3]);
  assert.equal(t.verify().valid, true);
  t.done();
});

test('a whole transaction rolled back: the next transaction chains onto the committed head', () => {
  const t = logHarness();
  t.log.append(t.operator, probe(1));
  assert.throws(() =>
    t.db.transaction(() => {
      t.log.append(t.operator, probe(2));
      t.log.append(t.operator, probe(3));
      throw new Error('change failed');
    })(),
  );
  t.db.transaction(() => t.log.append(t.operator, probe(4)))();
  assert.deepEqual(t.seqs(), [1, 2]);
  assert.equal(t.verify().valid, true);
  t.done();
});

test('a group whose COMMIT fails: the next group chains onto the committed head', async () => {
  const t = logHarness();
  t.db.exec(`CREATE TABLE parents (id INTEGER PRIMARY KEY);
    CREATE TABLE children (id INTEGER PRIMARY KEY, parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);`);
  const commits = new GroupCommit(t.db, true, () => true);
  t.db.transaction(() => t.log.append(t.operator, probe(1)))();
  await commits.durable();
  t.db.transaction(() => {
    t.log.append(t.operator, probe(2));
    // Violates a deferred foreign key: the group's COMMIT fails and the whole group rolls back.
    t.db.prepare('INSERT INTO children (id, parent) VALUES (1, 99)').run();
  })();
  await assert.rejects(commits.durable());
  t.db.transaction(() => t.log.append(t.operator, probe(3)))();
  await commits.durable();
  assert.deepEqual(t.seqs(), [1, 2]);
  assert.equal(t.verify().valid, true);
  t.done();
});

test('the head is not remembered across transactions: a row removed in between is not chained onto', () => {
  const t = logHarness();
  t.db.transaction(() => {
    t.log.append(t.operator, probe(1));
    t.log.append(t.operator, probe(2));
  })();
  t.db.prepare('DELETE FROM audit_events WHERE seq = 2').run();
  t.db.transaction(() => t.log.append(t.operator, probe(3)))();
  assert.deepEqual(t.seqs(), [1, 2]);
  assert.equal(t.verify().valid, true);
  t.done();
});

test('two AuditLogs on one connection share the head', () => {
  const t = logHarness();
  const second = new AuditLog(t.db, t.keys, t.clock);
  t.db.transaction(() => {
    t.log.append(t.operator, probe(1));
    second.append(t.operator, probe(2));
    t.log.append(t.operator, probe(3));
  })();
  assert.deepEqual(t.seqs(), [1, 2, 3]);
  assert.equal(t.verify().valid, true);
  t.done();
});

/** The capability_check rows of `t`'s log. */
function checkRows(t: ReturnType<typeof logHarness>): number {
  return (t.db.prepare("SELECT count(*) AS n FROM audit_events WHERE kind = 'capability_check'").get() as { n: number }).n;
}

const CHECK = { kind: 'capability_check', payload: { required: 'x.y', missing: null, passed: true, capability_id: null, reason: null } } as const;

test("a request's deferred row written with its change is not written again at the request's end", async () => {
  const t = logHarness();
  const rows = new RequestRows();
  await runWithRequestRows(rows, async () => {
    t.db.transaction(() => {
      t.log.appendWithRequest(t.operator, CHECK);
      t.db.transaction(() => t.log.append(t.operator, probe(1)))();
      t.log.writeRequestRows(rows);
    })();
  });
  assert.equal(checkRows(t), 1);
  assert.equal(t.verify().valid, true);
  t.done();
});

test("a request's deferred row whose change rolled back is written again at the request's end", async () => {
  const t = logHarness();
  const rows = new RequestRows();
  await runWithRequestRows(rows, async () => {
    t.db.transaction(() => {
      t.log.appendWithRequest(t.operator, CHECK);
      assert.throws(() =>
        t.db.transaction(() => {
          t.log.append(t.operator, probe(1));
          throw new Error('change failed');
        })(),
      );
      assert.equal(checkRows(t), 0);
      t.log.writeRequestRows(rows);
    })();
  });
  assert.equal(checkRows(t), 1);
  assert.deepEqual(t.seqs(), [1]);
  assert.equal(t.verify().valid, true);
  t.done();
});
