import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { AuditLog, CHECKPOINT_EVERY, verifyAuditChain } from '../../src/audit/index.js';
import { chainHash, GENESIS_CHAIN_HASH } from '../../src/audit/hashing.js';
import { systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';
import { probe } from '../helpers/audit-probe.js';

function freshLog(rows: number) {
  const { dir, cleanup } = tempDir();
  const db = openDatabase(`${dir}/covenant.db`);
  migrate(db);
  const keys = keyPairFromSeed(generateSeed());
  const log = new AuditLog(db, keys, systemClock);
  const issuer = { display: 'user@local', pubkey: keys.publicKeyB58 };
  for (let i = 0; i < rows; i += 1) log.append(issuer, probe(i));
  return {
    db,
    log,
    issuer,
    pubkey: keys.publicKeyB58,
    verify: () => verifyAuditChain(db, keys.publicKeyB58),
    done: () => {
      db.close();
      cleanup();
    },
  };
}

function failureSeqs(db: Db, pubkey: string): number[] {
  return verifyAuditChain(db, pubkey).failures.map((f) => f.seq);
}

test('a chain hash is SHA-256 over the 32 raw bytes of the previous chain hash, then the 32 of the event hash', () => {
  const event = createHash('sha256').update('an event').digest();
  const previous = createHash('sha256').update('a previous row').digest();
  for (const before of [previous, Buffer.from(GENESIS_CHAIN_HASH, 'hex')]) {
    const expected = createHash('sha256').update(Buffer.concat([before, event])).digest('hex');
    assert.equal(chainHash(before.toString('hex'), event.toString('hex')), expected);
  }
  assert.equal(chainHash(GENESIS_CHAIN_HASH, event.toString('hex')) === chainHash(previous.toString('hex'), event.toString('hex')), false);
});

test('an untouched chain verifies and the root is the last chain hash', () => {
  const t = freshLog(10);
  const report = t.verify();
  assert.equal(report.valid, true);
  assert.equal(report.events, 10);
  const last = t.db.prepare('SELECT chain_hash FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { chain_hash: string };
  assert.equal(report.root_hash_hex, last.chain_hash);
  t.done();
});

test('a modified payload is reported at its seq', () => {
  const t = freshLog(10);
  t.db.prepare(`UPDATE audit_events SET payload = '{"n":999}' WHERE seq = 4`).run();
  const report = t.verify();
  assert.equal(report.valid, false);
  assert.deepEqual(report.failures.map((f) => f.seq), [4]);
  t.done();
});

test('a modified issuer or kind is reported', () => {
  const t = freshLog(5);
  t.db.prepare(`UPDATE audit_events SET issuer_display = 'mallory@local' WHERE seq = 2`).run();
  t.db.prepare(`UPDATE audit_events SET kind = 'nothing_happened' WHERE seq = 5`).run();
  assert.deepEqual(failureSeqs(t.db, t.pubkey), [2, 5]);
  t.done();
});

test('a row deleted from the middle is reported at the row after the gap', () => {
  const t = freshLog(10);
  t.db.prepare('DELETE FROM audit_events WHERE seq = 6').run();
  const report = t.verify();
  assert.equal(report.valid, false);
  assert.ok(report.failures.some((f) => f.seq === 7 && /gap/.test(f.reason)));
  t.done();
});

test('reordered rows are reported', () => {
  const t = freshLog(6);
  t.db.exec('UPDATE audit_events SET seq = -3 WHERE seq = 3; UPDATE audit_events SET seq = 3 WHERE seq = 4; UPDATE audit_events SET seq = 4 WHERE seq = -3;');
  const seqs = failureSeqs(t.db, t.pubkey);
  assert.ok(seqs.includes(3) && seqs.includes(4), `got ${seqs.join(',')}`);
  t.done();
});

test('a recomputed-but-unchained forgery is still caught by the next row', () => {
  const t = freshLog(5);
  // An attacker who rewrites a row and its event hash cannot fix the chain without the rows after it.
  // Always a different hash: a hash that already starts with "ab" gets "cd".
  t.db
    .prepare(`UPDATE audit_events SET event_hash = (CASE WHEN substr(event_hash, 1, 2) = 'ab' THEN 'cd' ELSE 'ab' END) || substr(event_hash, 3) WHERE seq = 3`)
    .run();
  assert.ok(failureSeqs(t.db, t.pubkey).includes(3));
  t.done();
});

test('checkpoints are signed every 1000 rows and verified', () => {
  const t = freshLog(CHECKPOINT_EVERY + 5);
  const report = t.verify();
  assert.equal(report.checkpoints, 1);
  assert.equal(report.valid, true);
  t.done();
});

test('a forged checkpoint signature is reported at its seq', () => {
  const t = freshLog(3);
  const checkpoint = t.log.checkpoint();
  assert.ok(checkpoint);
  const other = keyPairFromSeed(generateSeed());
  const forged = new AuditLog(t.db, other, systemClock);
  t.db.prepare('DELETE FROM audit_checkpoints').run();
  forged.checkpoint();
  const report = t.verify();
  assert.equal(report.valid, false);
  assert.deepEqual(report.failures.map((f) => f.seq), [3]);
  assert.match(report.failures[0]!.reason, /signature/);
  t.done();
});

test('a checkpoint whose chain hash was changed is reported', () => {
  const t = freshLog(3);
  t.log.checkpoint();
  t.db.prepare(`UPDATE audit_checkpoints SET chain_hash = '${'1'.repeat(64)}'`).run();
  assert.deepEqual(failureSeqs(t.db, t.pubkey), [3, 3]);
  t.done();
});

test('a row appended in a rolled-back transaction leaves no trace', () => {
  const t = freshLog(2);
  assert.throws(() =>
    t.db.transaction(() => {
      t.log.append(t.issuer, probe(0));
      throw new Error('change failed');
    })(),
  );
  assert.equal(t.verify().events, 2);
  t.log.append(t.issuer, probe(0));
  assert.equal(t.verify().valid, true);
  t.done();
});
