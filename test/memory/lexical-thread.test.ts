// Memory search's BM25 in a worker thread (src/memory/lexical-thread.ts, docs/memory.md "Search
// and the index"): the worker answers what the main connection would, a committed write is seen
// by the next search, a write inside an open transaction is searched on the main connection, a
// worker that dies leaves its query to the main thread and the next query starts a new one, and
// closing the service (or the daemon) stops it.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import { systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { LEXICAL_WORKER_MAX_FAILURES, LexicalIndex, LexicalThread, localMemoryEmbedder, matchExpression, MemoryService } from '../../src/memory/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';
import { memoryFixture, write } from './helpers.js';

const keys = keyPairFromSeed(generateSeed());
const caller = { display: 'user@local', pubkey: keys.publicKeyB58 };
const CRASHING = new URL('../fixtures/memory/crashing-lexical-worker.ts', import.meta.url);

async function withService(use: (db: Db, memory: MemoryService) => Promise<void>): Promise<void> {
  const { dir, cleanup } = tempDir('covenant-lexical-');
  const db = openDatabase(join(dir, 'covenant.db'));
  migrate(db);
  const memory = new MemoryService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, embedder: localMemoryEmbedder() });
  try {
    await use(db, memory);
  } finally {
    await memory.close();
    db.close();
    cleanup();
  }
}

const TEXTS = ['harbour cranes lift containers', 'the ferry leaves the quay at noon', 'tugboats push the ferry', 'a crane on the pier', 'buoys mark the harbour entrance'];

test('search asks the worker for BM25 once it has started (the first search does not wait for it); it answers what the main connection would', async () => {
  await withService(async (db, memory) => {
    for (let i = 0; i < 30; i += 1) await memory.write(caller, { text: `${TEXTS[i % TEXTS.length]} ${i}`, tier: i % 2 === 0 ? 'episodic' : 'working' });
    const first = await memory.search(caller.pubkey, { query: 'ferry harbour', limit: 5 });
    assert.deepEqual(memory.lexical.counts, { starts: 1, answered: 0, local: 1, failures: 0 });
    assert.equal(await memory.lexical.whenReady(), true);
    assert.deepEqual(await memory.search(caller.pubkey, { query: 'ferry harbour', limit: 5 }), first);
    assert.deepEqual(memory.lexical.counts, { starts: 1, answered: 1, local: 1, failures: 0 });
    const local = new LexicalIndex(db);
    const match = matchExpression('ferry crane harbour')!;
    assert.deepEqual(await memory.lexical.best(match, 7), local.best(match, 7));
    assert.deepEqual(await memory.lexical.bestOf(match, caller.pubkey, ['working'], 7), local.bestOf(match, caller.pubkey, ['working'], 7));
  });
});

test('a committed write is found by the next search (through the worker)', async () => {
  await withService(async (_db, memory) => {
    await memory.write(caller, { text: 'first note about lighthouses', tier: 'episodic' });
    assert.equal(await memory.lexical.whenReady(), true);
    for (const word of ['zeppelin', 'xylophone', 'quasar']) {
      const written = await memory.write(caller, { text: `a note about a ${word}`, tier: 'episodic' });
      const hits = await memory.search(caller.pubkey, { query: word, mode: 'lexical' });
      assert.deepEqual(hits.map((h) => h.id), [written.id]);
    }
    assert.equal(memory.lexical.counts.local, 0);
    assert.ok(memory.lexical.counts.answered >= 3);
  });
});

test('a write inside an open transaction of the connection (a group commit) is searched on that connection', async () => {
  await withService(async (db, memory) => {
    await memory.write(caller, { text: 'committed note about lighthouses', tier: 'episodic' });
    db.exec('BEGIN IMMEDIATE');
    const pending = await memory.write(caller, { text: 'uncommitted note about lighthouses and gulls', tier: 'episodic' });
    const hits = await memory.search(caller.pubkey, { query: 'gulls' });
    db.exec('COMMIT');
    assert.deepEqual(hits.map((h) => h.id), [pending.id]);
    assert.ok(memory.lexical.counts.local >= 1);
  });
});

test('a worker that dies: its query is answered on the main thread, the next query starts a new worker; after repeated failures it is not restarted', async () => {
  const { dir, cleanup } = tempDir('covenant-lexical-');
  const db = openDatabase(join(dir, 'covenant.db'));
  migrate(db);
  const memory = new MemoryService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, embedder: localMemoryEmbedder() });
  const warnings: string[] = [];
  const thread = new LexicalThread(db, { entry: CRASHING, log: { warn: (_obj, msg) => warnings.push(msg) } });
  try {
    for (const text of ['crash test of the harbour crane', 'the harbour ferry', 'a crane and a ferry']) await memory.write(caller, { text, tier: 'episodic' });
    const local = new LexicalIndex(db);
    const crash = matchExpression('crash harbour')!;
    const calm = matchExpression('crane ferry')!;

    assert.equal(await thread.whenReady(), true);
    assert.deepEqual(await thread.best(crash, 10), local.best(crash, 10));
    assert.deepEqual(thread.counts, { starts: 1, answered: 0, local: 1, failures: 1 });
    assert.equal(thread.running, false);
    // A new worker answers.
    assert.equal(await thread.whenReady(), true);
    assert.deepEqual(await thread.best(calm, 10), local.best(calm, 10));
    assert.deepEqual(thread.counts, { starts: 2, answered: 1, local: 1, failures: 1 });
    assert.equal(thread.running, true);

    // MAX_FAILURES deaths with no answer between them: from then on, the main thread.
    for (let i = 0; i < LEXICAL_WORKER_MAX_FAILURES; i += 1) {
      assert.equal(await thread.whenReady(), true);
      assert.deepEqual(await thread.bestOf(crash, caller.pubkey, ['episodic'], 10), local.bestOf(crash, caller.pubkey, ['episodic'], 10));
    }
    assert.equal(thread.counts.starts, 2 + LEXICAL_WORKER_MAX_FAILURES - 1);
    assert.equal(await thread.whenReady(), false);
    assert.deepEqual(await thread.best(calm, 10), local.best(calm, 10));
    assert.equal(thread.counts.starts, 2 + LEXICAL_WORKER_MAX_FAILURES - 1);
    assert.equal(thread.running, false);
    assert.equal(warnings.length, LEXICAL_WORKER_MAX_FAILURES + 1);
    assert.match(warnings.at(-1)!, /main thread from now on/);
  } finally {
    await thread.close();
    await memory.close();
    db.close();
    cleanup();
  }
});

test('closing the memory service stops the worker; a query after close runs on the main thread', async () => {
  await withService(async (db, memory) => {
    await memory.write(caller, { text: 'a note about harbour cranes', tier: 'episodic' });
    await memory.search(caller.pubkey, { query: 'cranes' });
    assert.equal(memory.lexical.running, true);
    await memory.close();
    assert.equal(memory.lexical.running, false);
    assert.equal(await memory.lexical.whenReady(), false);
    const match = matchExpression('cranes')!;
    assert.deepEqual(await memory.lexical.best(match, 10), new LexicalIndex(db).best(match, 10));
    assert.equal(memory.lexical.counts.starts, 1);
  });
});

test('stopping the daemon stops the worker its searches started', async () => {
  const f = await memoryFixture();
  try {
    await write(f, 'a note about harbour cranes');
    assert.equal(await f.t.daemon.ctx.memory.lexical.whenReady(), true);
    const reply = await f.ok({ kind: 'memory_search', query: 'harbour cranes' });
    assert.equal((reply.records as unknown[]).length, 1);
    const lexical = f.t.daemon.ctx.memory.lexical;
    assert.equal(lexical.running, true);
    assert.ok(lexical.counts.answered >= 1);
    await f.stop();
    assert.equal(lexical.running, false);
  } finally {
    await f.stop();
  }
});
