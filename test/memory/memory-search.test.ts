import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cosine, LEXICAL_WEIGHT, LocalEmbedder, matchExpression, MemoryRecords, VECTOR_WEIGHT } from '../../src/memory/index.js';
import { memoryFixture, write, type MemoryFixture } from './helpers.js';

let f: MemoryFixture;
before(async () => {
  f = await memoryFixture();
});
after(async () => {
  await f.stop();
});

type Hit = { id: string; text: string; tier: string; relevance: number; stale: boolean; parts: { vector: number; lexical: number } };
const search = async (query: string, extra: Record<string, unknown> = {}) =>
  (await f.ok({ kind: 'memory_search', query, ...extra })).records as Hit[];

test('search ranks the record sharing the query words first; relevance fuses cosine and BM25, each part reported', async () => {
  const garden = await write(f, 'tomatoes need full sun in the vegetable garden');
  await write(f, 'the quarterly tax return is due in april');
  await write(f, 'remember to water the basil on the balcony', { tier: 'working' });
  await write(f, 'bicycle chain needs oil', { tier: 'longterm' });
  const reply = await f.ok({ kind: 'memory_search', query: 'vegetable garden tomatoes', limit: 3 });
  assert.equal(reply.mode, 'search');
  assert.equal(reply.tier, null);
  assert.equal(reply.limit, 3);
  assert.equal(reply.query, 'vegetable garden tomatoes');
  assert.equal(reply.min_relevance, 0);
  const hits = reply.records as Hit[];
  assert.equal(hits[0]!.id, garden.id);
  const embedder = new LocalEmbedder();
  const expected = cosine(embedder.embed('vegetable garden tomatoes'), embedder.embed(String(garden.text)));
  assert.ok(Math.abs(hits[0]!.parts.vector - expected) < 1e-5, `${hits[0]!.parts.vector} vs ${expected}`);
  // The only record with the query's words has the best BM25: its lexical part is 1.
  assert.equal(hits[0]!.parts.lexical, 1);
  for (const hit of hits) {
    assert.ok(Math.abs(hit.relevance - (VECTOR_WEIGHT * hit.parts.vector + LEXICAL_WEIGHT * hit.parts.lexical)) < 2e-6);
  }
  for (let i = 1; i < hits.length; i += 1) assert.ok(hits[i - 1]!.relevance >= hits[i]!.relevance);
  // Records sharing nothing with the query (relevance 0) are not results.
  assert.ok(hits.every((h) => h.relevance > 0));
  assert.ok(!hits.some((h) => h.text.includes('tax return')));
});

test('BM25 stems words: "audit logs" ranks the hash-chain note above an unrelated greeting (the hashing embedder alone did not)', async () => {
  const chain = await write(f, 'the audit log is a hash chain: every event carries the hash of the one before it');
  const hello = await write(f, 'hello from covenant: hi');
  const hits = await search('audit logs');
  assert.equal(hits[0]!.id, chain.id);
  assert.ok(hits[0]!.parts.lexical > 0);
  const helloAt = hits.findIndex((h) => h.id === hello.id);
  assert.ok(helloAt === -1 || helloAt > 0);
  // The FTS row was written with the record, in its transaction.
  const db = f.t.daemon.ctx.db;
  const inFts = db.prepare("SELECT count(*) AS n FROM memory_fts JOIN memory_records m ON m.rowid = memory_fts.rowid WHERE memory_fts MATCH 'hash' AND m.id = ?").get(chain.id) as { n: number };
  assert.equal(inFts.n, 1);
});

test('search honours tier and limit', async () => {
  const hits = await search('water the basil balcony', { tier: 'working' });
  assert.ok(hits.length >= 1);
  assert.ok(hits.every((h) => h.tier === 'working'));
  assert.equal((await search('the', { limit: 1 })).length, 1);
});

test('min_relevance bounds: 1 keeps only exact matches, 0..1 filters, outside [0,1] is refused and changes nothing', async () => {
  const exact = await write(f, 'a perfectly unique sentence about lighthouses');
  const only = await search('a perfectly unique sentence about lighthouses', { min_relevance: 1 });
  assert.deepEqual(only.map((h) => h.id), [exact.id]);
  assert.equal(only[0]!.relevance, 1);
  const loose = await search('lighthouses', { min_relevance: 0.01 });
  assert.ok(loose.some((h) => h.id === exact.id));
  assert.ok(loose.every((h) => h.relevance >= 0.01));
  const strict = await search('lighthouses', { min_relevance: 0.99 });
  assert.equal(strict.length, 0);
  const before = f.snapshot();
  for (const bad of [1.5, -0.1]) {
    const message = await f.refused({ kind: 'memory_search', query: 'lighthouses', min_relevance: bad }, 'E_BAD_REQUEST');
    assert.match(message, /min_relevance must be between 0 and 1/);
  }
  assert.equal(f.snapshot(), before);
});

test('long-term records marked stale are still found, flagged stale: true', async () => {
  const old = await write(f, 'an outdated fact about pluto being a planet', { tier: 'longterm' });
  f.t.daemon.ctx.db.prepare('UPDATE memory_records SET stale = 1 WHERE id = ?').run(old.id);
  const hits = await search('pluto planet', { tier: 'longterm' });
  assert.equal(hits[0]!.id, old.id);
  assert.equal(hits[0]!.stale, true);
});

test('the index follows records written by other code paths (dispatch) and deletes made elsewhere', async () => {
  const ctx = f.t.daemon.ctx;
  await search('warm the index'); // load the operator's segments
  const embedder = new LocalEmbedder();
  const id = '11111111-1111-4111-8111-111111111111';
  // The dispatch pipeline writes working records straight into memory_records.
  new MemoryRecords(ctx.db).insert({
    id,
    tier: 'working',
    owner: ctx.identity.agentId.pubkey,
    text: 'dispatch answer about kangaroos',
    embedding: embedder.embed('dispatch answer about kangaroos'),
    metadata: { source: 'dispatch' },
    created_at: Date.now(),
    parent: null,
    receipt_id: null,
  });
  assert.equal((await search('kangaroos'))[0]?.id, id);
  // A delete by another code path (e.g. a verifier repair) bumps the index epoch.
  ctx.db.prepare('DELETE FROM memory_records WHERE id = ?').run(id);
  assert.equal((await search('kangaroos')).length, 0);
});

test('search equals a brute-force fusion of exact cosines and SQLite BM25 over the same records', async () => {
  const ctx = f.t.daemon.ctx;
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel', 'india', 'juliet', 'kilo', 'lima'];
  let seed = 7;
  const rand = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  for (let i = 0; i < 120; i += 1) {
    const n = 2 + Math.floor(rand() * 6);
    const text = Array.from({ length: n }, () => words[Math.floor(rand() * words.length)]).join(' ');
    await write(f, text, { tier: 'episodic' });
  }
  const embedder = new LocalEmbedder();
  const owner = ctx.identity.agentId.pubkey;
  const rows = ctx.db
    .prepare("SELECT rowid AS r, id, text FROM memory_records WHERE owner = ? AND tier = 'episodic'")
    .all(owner) as Array<{ r: number; id: string; text: string }>;
  const round = (x: number) => Math.round(x * 1e6) / 1e6;
  for (const query of ['alpha bravo', 'golf hotel india', 'lima', 'echo echo delta']) {
    const q = embedder.embed(query);
    const bm25 = new Map(
      (ctx.db
        .prepare("SELECT m.id AS id, -bm25(memory_fts) AS s FROM memory_fts JOIN memory_records m ON m.rowid = memory_fts.rowid WHERE memory_fts MATCH ? AND m.owner = ? AND m.tier = 'episodic'")
        .all(matchExpression(query), owner) as Array<{ id: string; s: number }>).map((x) => [x.id, x.s]),
    );
    const best = Math.max(...bm25.values());
    const brute = rows
      .map((r) => {
        const vector = Math.max(0, cosine(q, embedder.embed(r.text)));
        const lexical = (bm25.get(r.id) ?? 0) / best;
        return { id: r.id, r: r.r, vector, lexical, relevance: round(VECTOR_WEIGHT * vector + LEXICAL_WEIGHT * lexical) };
      })
      .filter((x) => x.relevance > 0)
      .sort((a, b) => b.relevance - a.relevance || b.r - a.r);
    const hits = await search(query, { tier: 'episodic', limit: 15 });
    assert.equal(hits.length, Math.min(15, brute.length));
    for (let i = 0; i < hits.length; i += 1) {
      assert.ok(Math.abs(hits[i]!.relevance - brute[i]!.relevance) < 2e-6, `${query} #${i}: ${JSON.stringify(hits[i])} vs ${JSON.stringify(brute[i])}`);
      const exact = brute.find((b) => b.id === hits[i]!.id)!;
      assert.ok(Math.abs(hits[i]!.parts.vector - exact.vector) < 2e-6, `${query} #${i} vector part`);
      assert.ok(Math.abs(hits[i]!.parts.lexical - exact.lexical) < 2e-6, `${query} #${i} lexical part`);
    }
  }
});
