// The BM25 worker's in-memory index (src/memory/lexical-worker.ts, docs/memory.md "The BM25
// index") through the memory service: once built it answers, equal to FTS5 on the main
// connection; a committed write is found by the next search; the service's own deletes (purge)
// are marked without a rebuild; a delete it is not told about leaves FTS5 answering until a
// rebuild; a new service on the same database (a daemon restart) builds it again.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import type { Clock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { LexicalIndex, localMemoryEmbedder, matchExpression, MemoryRecords, MemoryService } from '../../src/memory/index.js';
import { MEMORY_TIERS } from '../../src/protocol/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

const keys = keyPairFromSeed(generateSeed());
const caller = { display: 'user@local', pubkey: keys.publicKeyB58 };
const WORDS = ['harbour', 'crane', 'cranes', 'ferry', 'quay', 'tug', 'pier', 'buoy', 'dock', 'docking', 'lighthouse', 'gull'];
const QUERIES = ['ferry harbour', 'crane docking', 'tug pier buoy gull', 'lighthouse', 'quay cranes dock ferry'];

function service(db: Db, clock: Clock): MemoryService {
  return new MemoryService({ db, audit: new AuditLog(db, keys, clock), clock, embedder: localMemoryEmbedder() });
}

/** Every query, best and bestOf, through the worker equals FTS5 on the main connection; returns how many the index answered. */
async function assertSameAsFts5(db: Db, memory: MemoryService, label: string): Promise<number> {
  const fts5 = new LexicalIndex(db);
  const before = memory.lexical.sources.index;
  for (const query of QUERIES) {
    const match = matchExpression(query)!;
    assert.deepEqual(await memory.lexical.best(match, 20), fts5.best(match, 20), `${label}: best ${query}`);
    assert.deepEqual(await memory.lexical.bestOf(match, caller.pubkey, ['working', 'longterm'], 20), fts5.bestOf(match, caller.pubkey, ['working', 'longterm'], 20), `${label}: bestOf ${query}`);
  }
  return memory.lexical.sources.index - before;
}

test('the worker answers BM25 from its index, equal to FTS5, after writes, purges, foreign deletes and a restart', async () => {
  const { dir, cleanup } = tempDir('covenant-bm25-');
  const db = openDatabase(join(dir, 'covenant.db'));
  migrate(db);
  let now = 1_000;
  const clock: Clock = { now: () => now };
  let memory = service(db, clock);
  try {
    const records = new MemoryRecords(db);
    for (let i = 0; i < 120; i += 1) {
      const text = Array.from({ length: 2 + (i % 7) }, (_, j) => WORDS[(i * 7 + j * 3) % WORDS.length]).join(' ');
      if (i % 4 === 0) records.insert({ id: `other-${i}`, tier: 'working', owner: 'someone-else', text, embedding: new Float32Array(0), metadata: {}, created_at: now, parent: null, receipt_id: null });
      else await memory.write(caller, { text, tier: MEMORY_TIERS[i % MEMORY_TIERS.length]! });
      now += 1_000;
    }
    const built = await memory.lexical.whenIndexed();
    assert.equal(built?.index, 'ready');
    assert.equal(built.index === 'ready' && built.records, 120);
    assert.equal(await assertSameAsFts5(db, memory, 'built'), 2 * QUERIES.length);
    assert.equal(memory.lexical.sources.fts5, 0);

    // A committed write: the next search finds it, from the index.
    const written = await memory.write(caller, { text: 'a zeppelin over the harbour', tier: 'episodic' });
    const hits = await memory.search(caller.pubkey, { query: 'zeppelin', mode: 'lexical' });
    assert.deepEqual(hits.map((h) => h.id), [written.id]);
    assert.equal(memory.lexical.sources.fts5, 0);

    // The service's own deletes: marked, no rebuild (the status stays the same object).
    const status = memory.lexical.indexStatus;
    assert.ok(memory.purge(caller, { beforeMs: 40_000 }).purged > 10);
    assert.equal(await assertSameAsFts5(db, memory, 'after a purge'), 2 * QUERIES.length);
    assert.equal(memory.lexical.indexStatus, status);

    // A delete the worker is not told about (another writer): stale, FTS5 answers, then a rebuild.
    assert.ok(db.prepare("DELETE FROM memory_records WHERE owner = 'someone-else' AND rowid % 8 = 1").run().changes > 3);
    const fts5 = new LexicalIndex(db);
    const match = matchExpression('ferry harbour')!;
    assert.deepEqual(await memory.lexical.best(match, 20), fts5.best(match, 20));
    assert.equal(memory.lexical.sources.fts5, 1);
    assert.equal((await memory.lexical.whenIndexed())?.index, 'ready');
    assert.equal(await assertSameAsFts5(db, memory, 'rebuilt'), 2 * QUERIES.length);

    // A restart: a new service on the same database builds its index again.
    await memory.close();
    memory = service(db, clock);
    assert.equal((await memory.lexical.whenIndexed())?.index, 'ready');
    assert.equal(await assertSameAsFts5(db, memory, 'after a restart'), 2 * QUERIES.length);
  } finally {
    await memory.close();
    db.close();
    cleanup();
  }
});
