// The in-memory BM25 index of memory search (src/memory/bm25-index.ts, bm25-sync.ts; docs/memory.md
// "The BM25 index") answers exactly what FTS5 does: LexicalIndex's `best` and `bestOf` (rows,
// scores to the bit, ties newest first) on a randomized corpus with owners, tiers, stems,
// diacritics, repeated words and empty texts; after writes (added from the snapshot) and deletes
// (stale until marked); and it declines (null terms) what it cannot score exactly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MEMORY_TIERS, type MemoryTier } from '../../src/protocol/index.js';
import type { Bm25Index } from '../../src/memory/bm25-index.js';
import { buildBm25, Fts5Twin, matchTerms, readTotals, refreshBm25 } from '../../src/memory/bm25-sync.js';
import { readEpoch } from '../../src/memory/index-watermarks.js';
import { LexicalIndex, matchExpression, MemoryRecords } from '../../src/memory/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';

const WORDS = ['log', 'logs', 'logging', 'audit', 'audits', 'hash', 'chain', 'café', 'Cafe', 'ferry', 'quay', 'crane', 'crane', 'tug', 'harbour', 'the', 'the', 'a', 'of', 'x1', '42', 'naïve', 'naive', 'run', 'running', 'ran'];
const OWNERS = ['owner-a', 'owner-b', 'owner-c'];

function random(seed: number): () => number {
  return () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
}

function pick<T>(rand: () => number, items: readonly T[]): T {
  return items[Math.floor(rand() * items.length)]!;
}

function text(rand: () => number): string {
  if (rand() < 0.02) return '';
  return Array.from({ length: Math.floor(rand() * 12) }, () => pick(rand, WORDS)).join(rand() < 0.5 ? ' ' : ', ');
}

let nextId = 0;
function insert(records: MemoryRecords, rand: () => number, count: number): void {
  for (let i = 0; i < count; i += 1) {
    nextId += 1;
    records.insert({ id: `r${nextId}`, tier: pick(rand, MEMORY_TIERS), owner: pick(rand, OWNERS), text: text(rand), embedding: new Float32Array(0), metadata: {}, created_at: nextId, parent: null, receipt_id: null });
  }
}

function build(db: Db): Bm25Index {
  const steps = buildBm25(db);
  for (;;) {
    const step = steps.next();
    if (step.done === true) return step.value!;
  }
}

/** Asserts index answers equal FTS5's for random queries, k and filters; returns how many queries had equal scores at some rank. */
function assertSame(db: Db, index: Bm25Index, twin: Fts5Twin, rand: () => number, label: string): number {
  const fts5 = new LexicalIndex(db);
  const totals = readTotals(db);
  let ties = 0;
  for (let q = 0; q < 60; q += 1) {
    const query = Array.from({ length: 1 + Math.floor(rand() * 5) }, () => (rand() < 0.1 ? 'zzzunknown' : pick(rand, WORDS))).join(' ');
    const match = matchExpression(query)!;
    const terms = matchTerms(match, twin);
    assert.notEqual(terms, null, query);
    for (const k of [1, 7, 100, 100_000]) {
      const expected = fts5.best(match, k);
      assert.deepEqual(index.best(terms!, totals, twin.ln, k), expected, `${label}: best "${query}" top ${k}`);
      if (expected.some((hit, i) => i > 0 && hit.score === expected[i - 1]!.score)) ties += 1;
      const owner = pick(rand, [...OWNERS, 'nobody']);
      const tiers: MemoryTier[] = MEMORY_TIERS.filter(() => rand() < 0.6);
      if (tiers.length === 0) tiers.push('episodic');
      assert.deepEqual(index.best(terms!, totals, twin.ln, k, owner, tiers), fts5.bestOf(match, owner, tiers, k), `${label}: bestOf "${query}" ${owner} ${tiers.join(',')} top ${k}`);
    }
  }
  return ties;
}

test('the in-memory BM25 index equals FTS5 (best and bestOf: rows, scores, tie order) after a build, after writes and after deletes', () => {
  const db = openDatabase(':memory:');
  migrate(db);
  const records = new MemoryRecords(db);
  const twin = new Fts5Twin();
  const rand = random(7);
  insert(records, rand, 1500);
  const index = build(db);
  assert.equal(index.records, 1500);
  assert.ok(assertSame(db, index, twin, rand, 'built') > 20, 'the corpus has equal scores, so the tie order is tested');

  // Writes after the build: added from the snapshot before a query.
  insert(records, rand, 300);
  assert.equal(refreshBm25(index, db, twin, readTotals(db)), true);
  assert.equal(index.records, 1800);
  assertSame(db, index, twin, rand, 'after writes');

  // Deletes move the epoch: stale until they are marked (the service tells the worker its own).
  const epochBefore = readEpoch(db);
  const doomedWhere = 'WHERE (rowid % 5 = 0 OR owner = ?) AND rowid < (SELECT max(rowid) FROM memory_records)';
  const doomed = db.prepare(`SELECT rowid FROM memory_records ${doomedWhere}`).pluck().all('owner-c') as number[];
  db.prepare(`DELETE FROM memory_records ${doomedWhere}`).run('owner-c');
  assert.equal(refreshBm25(index, db, twin, readTotals(db)), false);
  assert.equal(index.remove(doomed), true);
  index.epoch = epochBefore + doomed.length;
  assert.equal(readEpoch(db), index.epoch);
  insert(records, rand, 100);
  assert.equal(refreshBm25(index, db, twin, readTotals(db)), true);
  assertSame(db, index, twin, rand, 'after deletes');
  assert.equal(index.remove([doomed[0]!]), false, 'a record already deleted is refused');

  // Deleting the newest record lets SQLite give its rowid to the next write: not above the
  // indexed rowids, so not added; FTS5's totals then disagree and the index is stale.
  const newest = db.prepare('SELECT max(rowid) FROM memory_records').pluck().get() as number;
  const epoch = readEpoch(db);
  db.prepare('DELETE FROM memory_records WHERE rowid = ?').run(newest);
  assert.equal(index.remove([newest]), true);
  index.epoch = epoch + 1;
  insert(records, rand, 1);
  assert.equal(db.prepare('SELECT max(rowid) FROM memory_records').pluck().get(), newest);
  assert.equal(refreshBm25(index, db, twin, readTotals(db)), false);

  // A rebuild over the same state answers the same.
  assertSame(db, build(db), twin, rand, 'rebuilt');
  twin.close();
  db.close();
});

test('records and FTS5 totals that disagree make the index stale; a query word that is not one FTS5 token is left to FTS5', () => {
  const db = openDatabase(':memory:');
  migrate(db);
  const records = new MemoryRecords(db);
  const twin = new Fts5Twin();
  insert(records, random(3), 50);
  const index = build(db);
  const totals = readTotals(db);
  assert.equal(refreshBm25(index, db, twin, { ...totals, tokens: totals.tokens + 1 }), false);
  assert.deepEqual(matchTerms(matchExpression('Logging CAFÉ')!, twin), ['log', 'cafe']);
  assert.equal(matchTerms('"a" OR b', twin), null);
  assert.equal(matchTerms('"a b"', twin), null);
  twin.close();
  db.close();
});
