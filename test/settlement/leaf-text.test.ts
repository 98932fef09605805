// The fixed-shape leaf encoders (JS and SQL) against the generic RFC 8785 encoder, and the
// receipt storage of migration 16 (batches by seq range, leaves as one blob) with data from before it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import { canonicalJson, newId, systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import {
  canonicalLeafHash,
  LocalBackend,
  type ChainBackend,
  merkleRoot,
  receiptLeafHash,
  receiptLeafObject,
  receiptLeafText,
  Receipts,
  SettlementService,
  signBatch,
  storedLeafTextSql,
  verifyReceiptProof,
} from '../../src/settlement/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-leaf-text-');
after(cleanup);

/** A deterministic generator, so a failure names the receipt that caused it. */
function* receipts(count: number): Generator<Record<string, unknown>, void, undefined> {
  const texts = ['', 'timeout', 'quote " and \\ backslash', 'tab\tnewline\ncr\r', '\u0000\u0001\u001f\u007f', 'é ünïcode ✓', '😀 astral', '</script>', 'a'.repeat(300)];
  const numbers = [0, 1, 5, 1_796_536_227_703, Number.MAX_SAFE_INTEGER, 2 ** 60, 1.5, 1e21, 0.1 + 0.2, -0];
  for (let i = 0; i < count; i += 1) {
    yield {
      id: i % 7 === 0 ? texts[i % texts.length] : newId(),
      payer: i % 5 === 0 ? texts[(i + 3) % texts.length] : 'GxVq8jhv4tY3MHvR6fXxj8kKgEc1QBNWA1R8qkzBX7oZ',
      resource: ['compute', 'memory', 'tool', 'message'][i % 4],
      status: i % 3 === 0 ? 'failed' : 'ok',
      credits_consumed: numbers[i % numbers.length],
      settled_at: numbers[(i + 4) % numbers.length],
      intent_id: i % 2 === 0 ? null : texts[(i + 1) % texts.length],
      memory_record_id: i % 4 === 0 ? texts[(i + 2) % texts.length] : null,
      failure_reason: i % 3 === 0 ? texts[(i + 5) % texts.length] : null,
      // Batch fields and unknown ones are not part of a leaf.
      batch_id: i % 6 === 0 ? 'b' : null,
    };
  }
}

describe('fixed-shape leaf encoding', () => {
  test('byte-identical to the generic RFC 8785 encoder on 5,000 receipts of awkward values', () => {
    let n = 0;
    for (const receipt of receipts(5000)) {
      assert.equal(receiptLeafText(receipt), canonicalJson(receiptLeafObject(receipt)), JSON.stringify(receipt));
      assert.deepEqual(receiptLeafHash(receipt), canonicalLeafHash(receipt));
      n += 1;
    }
    assert.equal(n, 5000);
  });

  test('values the generic encoder refuses are refused alike (lone surrogate, NaN, Infinity)', () => {
    const base: Record<string, unknown> = [...receipts(1)][0]!;
    for (const bad of [{ id: 'x\ud800y' }, { credits_consumed: Number.NaN }, { settled_at: Number.POSITIVE_INFINITY }]) {
      const receipt = { ...base, ...bad };
      assert.throws(() => canonicalJson(receiptLeafObject(receipt)));
      assert.throws(() => receiptLeafText(receipt), JSON.stringify(Object.keys(bad)));
    }
    // An absent field is null in both.
    const { failure_reason: _dropped, ...missing } = base;
    assert.equal(receiptLeafText(missing), canonicalJson(receiptLeafObject(missing)));
  });
});

function service(db: Db) {
  const keys = keyPairFromSeed(generateSeed());
  const identity = { agentId: { display: 'user@local', pubkey: keys.publicKeyB58 }, keys };
  return { identity, settlement: new SettlementService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, identity, backend: new LocalBackend() }) };
}

/** A small seeded generator (mulberry32), so a failing case can be replayed. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('leaf texts written by SQLite', () => {
  test('SQLite writes the text of every receipt of integers and text (ASCII or not, tokens_used set or not), and leaves floats, big integers and BLOBs to JS', () => {
    const db = openDatabase(join(dir, 'sql-text.db'));
    migrate(db);
    const repo = new Receipts(db);
    const base = { payer: 'payer', resource: 'tool' as const, status: 'ok' as const, credits_consumed: 1, intent_id: null, memory_record_id: null, failure_reason: null };
    const written: Array<Record<string, unknown>> = [
      {},
      { failure_reason: 'quote " backslash \\ tab \t nul \u0000 del \u007f' },
      { failure_reason: 'é ünïcode ✓ 😀 \u2028', intent_id: 'ïd' },
      { tokens_used: 1234, memory_record_id: 'm' },
      { settled_at: -Number.MAX_SAFE_INTEGER, credits_consumed: Number.MAX_SAFE_INTEGER },
    ];
    const byHand: Array<Record<string, unknown>> = [{ settled_at: 2 ** 60 }, { credits_consumed: 1.5 }, { tokens_used: 2 ** 54 }];
    db.transaction(() => [...written, ...byHand].forEach((over, i) => repo.insert({ ...base, id: newId(), settled_at: i, ...over })))();
    db.prepare('UPDATE receipts SET failure_reason = ? WHERE seq = ?').run(Buffer.from('blob'), written.length + byHand.length);
    const rows = db.prepare(`SELECT *, ${storedLeafTextSql('receipts')} AS sql_text FROM receipts ORDER BY seq`).all() as Array<Record<string, unknown>>;
    rows.slice(0, written.length).forEach((row, i) => {
      assert.equal(row.sql_text, canonicalJson(receiptLeafObject(row)), `written[${i}]`);
      assert.equal(row.sql_text, receiptLeafText(row), `written[${i}]: the JS encoder agrees`);
    });
    rows.slice(written.length).forEach((row, i) => assert.equal(row.sql_text, null, `byHand[${i}]`));
    db.close();
  });

  test('a flush of 2,000 random receipts (non-ASCII, big integers, floats, tokens_used, bytes that are not UTF-8) has the generic encoder\'s leaves and root; proofs verify offline', async () => {
    const db = openDatabase(join(dir, 'random.db'));
    migrate(db);
    const next = random(15);
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
    const texts = ['', 'timeout', 'a"b\\c', 'line\nbreak\u0001', 'é', 'ünïcode ✓', '😀 astral', '\u2028\u2029', '\ufffd', 'x'.repeat(200)];
    const numbers = [0, 1, 7, 1_796_536_227_703, Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 60, 1.5, 1e21, 0.1 + 0.2];
    const insert = db.prepare(
      `INSERT INTO receipts (id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id, failure_reason, tokens_used)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Text that is not UTF-8 can only come from outside the daemon: stored as raw bytes here.
    const notUtf8 = db.prepare("UPDATE receipts SET failure_reason = CAST(? AS TEXT) WHERE seq = (SELECT MAX(seq) FROM receipts)");
    db.transaction(() => {
      for (let i = 0; i < 2000; i += 1) {
        const text = () => (next() < 0.4 ? null : `${pick(texts)}${i}`);
        insert.run(newId(), pick(['payer', 'päyer', 'GxVq8jhv4tY3MHvR6fXxj8kKgEc1QBNWA1R8qkzBX7oZ']), pick(['compute', 'memory', 'tool', 'message']), pick(['ok', 'failed']), pick(numbers), pick(numbers), text(), text(), text(), next() < 0.3 ? pick(numbers) : null);
        // A stray byte, an encoded surrogate, a cut sequence mid-text and at the end.
        if (i % 97 === 0) notUtf8.run(Buffer.from(i % 2 === 0 ? [0x61, 0xff, 0xed, 0xa0, 0x80, 0xc3, 0x62] : [0x22, 0xf0, 0x9f, 0x98, 0x5c, 0xe2, 0x82]));
      }
    })();
    const { identity, settlement } = service(db);
    const result = await settlement.flush(identity.agentId);
    assert.equal(result.receipts_updated, 2000);
    const rows = db.prepare('SELECT * FROM receipts ORDER BY seq').all() as Array<Record<string, unknown>>;
    assert.ok(rows.filter((row) => String(row.failure_reason).includes('\ufffd')).length >= 21, 'bytes that are not UTF-8 read back with U+FFFD');
    const expected = rows.map((row) => canonicalLeafHash(row));
    const batch = db.prepare('SELECT leaves FROM receipt_batches').get() as { leaves: Buffer };
    rows.forEach((row, i) => assert.deepEqual(batch.leaves.subarray(i * 32, i * 32 + 32), expected[i], JSON.stringify(row)));
    assert.equal(result.batch.merkle_root, merkleRoot(expected).toString('hex'));
    for (const row of rows.filter((candidate, i) => i % 37 === 0 || String(candidate.failure_reason).includes('\ufffd'))) {
      assert.deepEqual(verifyReceiptProof(settlement.prove(String(row.id), null), { expectedPubkey: identity.agentId.pubkey }).failures, []);
    }
    db.close();
  });
});

describe('flush storage (migration 16)', () => {
  test('leaves written by SQLite or by hand equal the generic leaves; every proof verifies offline', async () => {
    const db = openDatabase(join(dir, 'flush.db'));
    migrate(db);
    const repo = new Receipts(db);
    const stored: Array<Record<string, unknown>> = [];
    // Every ASCII character in a text field (SQLite writes these leaves), non-ASCII text, big and
    // fractional numbers (these go through the JS encoder).
    for (let c = 0; c < 128; c += 1) stored.push({ failure_reason: `a${String.fromCharCode(c)}b` });
    stored.push({ failure_reason: 'é ✓ 😀' }, { settled_at: 2 ** 60 }, { settled_at: 1.5 }, { credits_consumed: Number.MAX_SAFE_INTEGER }, { intent_id: '' });
    db.transaction(() => {
      stored.forEach((over, i) => {
        const receipt = { id: newId(), payer: 'payer', resource: 'tool' as const, status: 'ok' as const, credits_consumed: 1, settled_at: 1000 + i, intent_id: null, memory_record_id: null, failure_reason: null, ...over };
        repo.insert(receipt);
      });
    })();
    // As written before migration 018 (no stored leaf hash): the flush encodes each from its row.
    db.exec('UPDATE receipts SET leaf_hash = NULL');
    const { settlement } = service(db);
    const result = await settlement.flush({ display: 'user@local', pubkey: 'k' });
    assert.equal(result.receipts_updated, stored.length);
    const rows = db.prepare('SELECT * FROM receipts ORDER BY seq').all() as Array<Record<string, unknown>>;
    const expected = rows.map((row) => canonicalLeafHash(row));
    const batch = db.prepare('SELECT leaves, first_seq, last_seq FROM receipt_batches').get() as { leaves: Buffer; first_seq: number; last_seq: number };
    assert.deepEqual(batch.leaves, Buffer.concat(expected));
    assert.deepEqual([batch.first_seq, batch.last_seq], [rows[0]!.seq, rows.at(-1)!.seq]);
    assert.equal(result.batch.merkle_root, merkleRoot(expected).toString('hex'));
    for (const row of rows) {
      const proof = settlement.prove(String(row.id), null);
      assert.equal(proof.receipt.batch_id, result.batch.batch_id);
      assert.deepEqual(verifyReceiptProof(proof).failures, [], String(row.failure_reason));
    }
    db.close();
  });

  test('a database from before migration 16 keeps its batch readable and provable; the rest is flushed by range', async () => {
    const db = openDatabase(join(dir, 'legacy.db'));
    migrate(db, MIGRATIONS.filter((m) => m.version < 16));
    const { identity, settlement } = service(db);
    const insert = db.prepare(
      `INSERT INTO receipts (id, payer, resource, status, credits_consumed, settled_at, intent_id, memory_record_id, failure_reason)
       VALUES (?, 'payer', 'tool', 'ok', 1, ?, NULL, NULL, NULL)`,
    );
    // Inserted out of settled order: migration 16 numbers them by (settled_at, id).
    const ids = Array.from({ length: 6 }, () => newId());
    [5, 2, 0, 4, 1, 3].forEach((at) => insert.run(ids[at], 1000 + at));
    // A batch flushed the way covenantd did before: receipts 0-2, marked one by one, one leaf row each.
    const legacy = ids.slice(0, 3).map((id) => db.prepare('SELECT * FROM receipts WHERE id = ?').get(id) as Record<string, unknown>);
    const header = { batch_id: newId(), merkle_root: merkleRoot(legacy.map((r) => canonicalLeafHash(r))).toString('hex'), receipt_count: 3, created_at: 5 };
    db.prepare(`INSERT INTO receipt_batches (batch_id, merkle_root, receipt_count, created_at, signature, signer, chain, tx_sig) VALUES (?, ?, 3, 5, ?, ?, 'local', NULL)`).run(
      header.batch_id,
      header.merkle_root,
      signBatch(identity.keys, header),
      identity.agentId.pubkey,
    );
    legacy.forEach((r, index) => {
      db.prepare('UPDATE receipts SET batch_id = ?, merkle_root = ?, chain = ? WHERE id = ?').run(header.batch_id, header.merkle_root, 'local', r.id);
      db.prepare('INSERT INTO receipt_batch_leaves (batch_id, leaf_index, receipt_id, leaf_hash) VALUES (?, ?, ?, ?)').run(header.batch_id, index, r.id, canonicalLeafHash(r).toString('hex'));
    });

    migrate(db);
    assert.deepEqual(
      (db.prepare('SELECT id FROM receipts ORDER BY seq').all() as Array<{ id: string }>).map((r) => r.id),
      ids,
      'numbered in settled order',
    );
    assert.equal(settlement.pendingCount(), 3);
    const old = settlement.prove(ids[1]!, null);
    assert.equal(old.batch.batch_id, header.batch_id);
    assert.equal(old.index, 1);
    assert.deepEqual(verifyReceiptProof(old, { expectedPubkey: identity.agentId.pubkey }).failures, []);

    const flushed = await settlement.flush(identity.agentId);
    assert.equal(flushed.receipts_updated, 3);
    assert.equal(settlement.pendingCount(), 0);
    const fresh = settlement.prove(ids[4]!, null);
    assert.equal(fresh.batch.batch_id, flushed.batch.batch_id);
    assert.equal(fresh.index, 1);
    assert.deepEqual(verifyReceiptProof(fresh, { expectedPubkey: identity.agentId.pubkey }).failures, []);
    const listed = settlement.recent({ limit: 10, visibleTo: null });
    assert.deepEqual(
      listed.map((r) => [r.id, r.batch_id]),
      [...ids].reverse().map((id, i) => [id, i < 3 ? flushed.batch.batch_id : header.batch_id]),
    );
    db.close();
  });

  test('a receipt removed from the range while the batch was being posted: E_CONFLICT, nothing stored', async () => {
    const db = openDatabase(join(dir, 'conflict.db'));
    migrate(db);
    const repo = new Receipts(db);
    const ids = Array.from({ length: 3 }, () => newId());
    ids.forEach((id, i) => repo.insert({ id, payer: 'p', resource: 'tool', status: 'ok', credits_consumed: 1, settled_at: i, intent_id: null, memory_record_id: null, failure_reason: null }));
    const keys = keyPairFromSeed(generateSeed());
    const identity = { agentId: { display: 'user@local', pubkey: keys.publicKeyB58 }, keys };
    const racing: ChainBackend = new LocalBackend();
    racing.post = async () => {
      db.prepare('DELETE FROM receipts WHERE id = ?').run(ids[1]);
      return { tx_sig: null };
    };
    const settlement = new SettlementService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, identity, backend: racing });
    await assert.rejects(settlement.flush(identity.agentId), (error: Error & { code?: string }) => error.code === 'E_CONFLICT');
    assert.equal((db.prepare('SELECT COUNT(*) AS n FROM receipt_batches').get() as { n: number }).n, 0);
    db.close();
  });
});
