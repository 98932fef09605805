// Receipts store their leaf hash when inserted (migration 018, docs/settlement.md "Storage"): the
// flush reads those, encodes receipts without one (written before 018) from their row, and the
// leaves, the root and every proof are what the generic RFC 8785 encoder gives.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import { CovenantError, newId, systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import {
  canonicalLeafHash,
  LocalBackend,
  merkleRoot,
  Receipts,
  SettlementService,
  verifyReceiptProof,
  type NewReceipt,
} from '../../src/settlement/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migrate, openDatabase, schemaVersion, type Db } from '../../src/store/index.js';
import { insertReceiptBefore018 } from '../helpers/legacy-receipts.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-stored-leaf-');
after(cleanup);

function service(db: Db) {
  const keys = keyPairFromSeed(generateSeed());
  const identity = { agentId: { display: 'user@local', pubkey: keys.publicKeyB58 }, keys };
  return { identity, settlement: new SettlementService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, identity, backend: new LocalBackend() }) };
}

const TEXTS = ['', 'timeout', 'quote " and \\ backslash', 'tab\tnewline\ncr\r', '\u0000\u0001\u001f\u007f', 'é ünïcode ✓', '😀 astral', '\u2028\u2029', 'a'.repeat(300)];
const NUMBERS = [0, 1, 5, 1_796_536_227_703, Number.MAX_SAFE_INTEGER, 2 ** 60, 1.5, 1e21, 0.1 + 0.2, -0];

/** Receipt `i` of a deterministic set of awkward values (every text, number and optional field in turn). */
function awkward(i: number): NewReceipt {
  return {
    id: newId(),
    payer: i % 5 === 0 ? `p${TEXTS[(i + 3) % TEXTS.length]}` : 'GxVq8jhv4tY3MHvR6fXxj8kKgEc1QBNWA1R8qkzBX7oZ',
    resource: (['compute', 'memory', 'tool', 'message'] as const)[i % 4]!,
    status: i % 3 === 0 ? 'failed' : 'ok',
    credits_consumed: NUMBERS[i % NUMBERS.length]!,
    settled_at: NUMBERS[(i + 4) % NUMBERS.length]!,
    intent_id: i % 2 === 0 ? null : TEXTS[(i + 1) % TEXTS.length]!,
    memory_record_id: i % 4 === 0 ? TEXTS[(i + 2) % TEXTS.length]! : null,
    failure_reason: i % 3 === 0 ? TEXTS[(i + 5) % TEXTS.length]! : null,
    tokens_used: i % 7 === 0 ? NUMBERS[(i + 1) % NUMBERS.length]! : null,
  };
}

type Row = Record<string, unknown> & { seq: number; id: string; leaf_hash: Buffer | null };

function rows(db: Db): Row[] {
  return db.prepare('SELECT * FROM receipts ORDER BY seq').all() as Row[];
}

/** The flush's batch holds the generic leaves of `expected` under their root, and every receipt's proof verifies offline. */
async function assertFlushIsGeneric(db: Db, expected: Row[]): Promise<void> {
  const { identity, settlement } = service(db);
  const result = await settlement.flush(identity.agentId);
  assert.equal(result.receipts_updated, expected.length);
  const leaves = expected.map((row) => canonicalLeafHash(row));
  const batch = db.prepare('SELECT leaves FROM receipt_batches WHERE batch_id = ?').get(result.batch.batch_id) as { leaves: Buffer };
  expected.forEach((row, i) => assert.deepEqual(batch.leaves.subarray(i * 32, i * 32 + 32), leaves[i], `seq ${row.seq}, leaf_hash ${row.leaf_hash === null ? 'NULL' : 'stored'}`));
  assert.equal(result.batch.merkle_root, merkleRoot(leaves).toString('hex'));
  for (const row of expected) {
    const proof = settlement.prove(row.id, null);
    assert.equal(proof.batch.batch_id, result.batch.batch_id);
    assert.deepEqual(verifyReceiptProof(proof, { expectedPubkey: identity.agentId.pubkey }).failures, [], `seq ${row.seq}`);
  }
}

test('an inserted receipt stores the leaf hash of the receipt as read back (awkward texts and numbers, tokens_used)', () => {
  const db = openDatabase(join(dir, 'insert.db'));
  migrate(db);
  const repo = new Receipts(db);
  db.transaction(() => {
    for (let i = 0; i < 200; i += 1) repo.insert(awkward(i));
  })();
  const stored = rows(db);
  assert.equal(stored.length, 200);
  for (const row of stored) {
    assert.ok(row.leaf_hash instanceof Buffer, `seq ${row.seq} has a stored leaf hash`);
    assert.deepEqual(row.leaf_hash, canonicalLeafHash(row), `seq ${row.seq}: ${JSON.stringify(row)}`);
  }
  db.close();
});

test('a value the encoder refuses (a lone surrogate) stores no leaf hash; the flush encodes that receipt from its row', async () => {
  const db = openDatabase(join(dir, 'surrogate.db'));
  migrate(db);
  const repo = new Receipts(db);
  repo.insert(awkward(1));
  repo.insert({ ...awkward(2), failure_reason: 'x\ud800y' });
  const stored = rows(db);
  assert.equal(stored[1]!.leaf_hash, null);
  assert.match(String(stored[1]!.failure_reason), /^x\ufffd+y$/, 'read back with replacement characters, not as inserted');
  await assertFlushIsGeneric(db, stored);
  db.close();
});

test('a flush over receipts with and without a stored leaf hash has the generic leaves and root; proofs of both kinds verify', async () => {
  const db = openDatabase(join(dir, 'mixed.db'));
  migrate(db);
  const repo = new Receipts(db);
  db.transaction(() => {
    for (let i = 0; i < 300; i += 1) repo.insert(awkward(i));
  })();
  // Every third receipt as written before migration 018, runs of both kinds included.
  db.exec('UPDATE receipts SET leaf_hash = NULL WHERE seq % 3 = 0 OR seq BETWEEN 100 AND 120');
  const expected = rows(db);
  assert.ok(expected.some((row) => row.leaf_hash === null) && expected.some((row) => row.leaf_hash !== null));
  await assertFlushIsGeneric(db, expected);

  // A range where every receipt has its hash (the one-read path).
  db.transaction(() => {
    for (let i = 300; i < 400; i += 1) repo.insert(awkward(i));
  })();
  const fresh = rows(db).slice(300);
  assert.ok(fresh.every((row) => row.leaf_hash !== null));
  await assertFlushIsGeneric(db, fresh);
  db.close();
});

test('the flush commits to the receipt as inserted: a row changed afterwards keeps its stored leaf, and its proof is refused', async () => {
  const db = openDatabase(join(dir, 'changed.db'));
  migrate(db);
  const repo = new Receipts(db);
  const ids = [0, 1, 2].map((i) => repo.insert(awkward(i)).id);
  const asInserted = rows(db);
  db.prepare('UPDATE receipts SET payer = ? WHERE id = ?').run('SomeoneElse1111111111111111111111111111111', ids[1]);
  const { identity, settlement } = service(db);
  const result = await settlement.flush(identity.agentId);
  assert.equal(result.batch.merkle_root, merkleRoot(asInserted.map((row) => canonicalLeafHash(row))).toString('hex'));
  assert.deepEqual(verifyReceiptProof(settlement.prove(ids[0]!, null)).failures, []);
  assert.throws(
    () => settlement.prove(ids[1]!, null),
    (error: unknown) => error instanceof CovenantError && error.code === 'E_CONFLICT' && /no longer matches the leaf batched for it/.test(error.message),
  );
  db.close();
});

test('migration 018 applies on a database with receipts: they keep no leaf hash, new ones get one, one flush proves both', async () => {
  const db = openDatabase(join(dir, 'migration.db'));
  migrate(db, MIGRATIONS.filter((m) => m.version <= 17));
  assert.equal(schemaVersion(db), 17);
  for (let i = 0; i < 20; i += 1) insertReceiptBefore018(db, awkward(i));

  assert.equal(migrate(db), 18);
  assert.equal(db.prepare('SELECT count(*) FROM schema_migrations WHERE version = 18').pluck().get(), 1);
  assert.equal(db.prepare('SELECT count(*) FROM receipts WHERE leaf_hash IS NULL').pluck().get(), 20);
  assert.equal(db.prepare('PRAGMA integrity_check').pluck().get(), 'ok');
  // 32 bytes or nothing.
  assert.throws(() => db.prepare('UPDATE receipts SET leaf_hash = ? WHERE seq = 1').run(Buffer.alloc(31)), /CHECK constraint failed/);
  assert.throws(() => db.prepare('UPDATE receipts SET leaf_hash = ? WHERE seq = 1').run('a'.repeat(32)), /CHECK constraint failed/);

  const repo = new Receipts(db);
  for (let i = 20; i < 40; i += 1) repo.insert(awkward(i));
  const all = rows(db);
  assert.deepEqual(all.map((row) => row.leaf_hash === null), Array.from({ length: 40 }, (_, i) => i < 20));
  await assertFlushIsGeneric(db, all);
  db.close();
});
