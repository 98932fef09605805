// The lexical half of memory search (src/memory/lexical.ts) on a fixed corpus: its top k equals
// the brute-force order of every FTS5 match by BM25 (best first, equal scores: the newer record
// first), over every record and per owner. Guards the query shape (ordered by the bm25() value,
// not FTS5's rank) against a change of scores or of the tie order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LexicalIndex, matchExpression, MemoryRecords } from '../../src/memory/index.js';
import { migrate, openDatabase } from '../../src/store/index.js';

test('LexicalIndex.best and bestOf equal every match sorted by BM25, ties newest first', () => {
  const db = openDatabase(':memory:');
  migrate(db);
  const records = new MemoryRecords(db);
  const words = ['quay', 'crane', 'ferry', 'tug', 'harbour', 'pier', 'buoy', 'dock'];
  let seed = 11;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const owners = ['owner-a', 'owner-b'];
  for (let i = 0; i < 400; i += 1) {
    // Short texts from a small vocabulary: many records share a score exactly.
    const text = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => words[Math.floor(rand() * words.length)]).join(' ');
    records.insert({ id: `r${i}`, tier: 'episodic', owner: owners[i % 2]!, text, embedding: new Float32Array(0), metadata: {}, created_at: i, parent: null, receipt_id: null });
  }
  const lexical = new LexicalIndex(db);
  const brute = (match: string, owner?: string) =>
    (
      db
        .prepare('SELECT f.rowid AS rowid, -bm25(memory_fts) AS score, m.owner AS owner FROM memory_fts f JOIN memory_records m ON m.rowid = f.rowid WHERE memory_fts MATCH ?')
        .all(match) as Array<{ rowid: number; score: number; owner: string }>
    )
      .filter((hit) => owner === undefined || hit.owner === owner)
      .sort((a, b) => b.score - a.score || b.rowid - a.rowid)
      .map(({ rowid, score }) => ({ rowid, score }));
  let ties = 0;
  for (const query of ['ferry', 'crane tug', 'harbour pier buoy', 'dock quay ferry tug']) {
    const match = matchExpression(query)!;
    const expected = brute(match);
    for (let i = 1; i < expected.length; i += 1) if (expected[i]!.score === expected[i - 1]!.score) ties += 1;
    for (const k of [1, 10, 50]) {
      assert.deepEqual(lexical.best(match, k), expected.slice(0, k), `${query} top ${k}`);
      assert.deepEqual(lexical.bestOf(match, 'owner-b', ['episodic'], k), brute(match, 'owner-b').slice(0, k), `${query} owner-b top ${k}`);
    }
  }
  assert.ok(ties > 100, 'the corpus has equal scores, so the tie order is tested');
  db.close();
});
