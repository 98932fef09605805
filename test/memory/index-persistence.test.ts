// The persisted search index (docs/memory.md "The search index"): a restart loads segment files
// that match the database, catches up on records written after the file (what a SIGKILL leaves
// behind), and rebuilds from SQLite when the file is stale (index epoch, another database).
// Also: migration 008 indexes the records written before it.
import assert from 'node:assert/strict';
import { readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import { systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { localMemoryEmbedder, MemoryService } from '../../src/memory/index.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

const keys = keyPairFromSeed(generateSeed());
const caller = { display: 'user@local', pubkey: keys.publicKeyB58 };

function service(db: Db, indexDir: string): MemoryService {
  return new MemoryService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, embedder: localMemoryEmbedder(), indexDir });
}

const ids = (records: Array<{ id: string }>) => records.map((r) => r.id);

test('restart: the segment file is loaded, records written after it (a SIGKILL) are caught up, a stale file is rebuilt', async () => {
  const { dir, cleanup } = tempDir('covenant-index-');
  try {
    const dbPath = join(dir, 'covenant.db');
    const indexDir = join(dir, 'memory-index');
    let db = openDatabase(dbPath);
    migrate(db);
    const first = service(db, indexDir);
    for (let i = 0; i < 40; i += 1) await first.write(caller, { text: `note ${i} about harbour cranes and ${i % 3 === 0 ? 'ferries' : 'tugboats'}`, tier: 'episodic' });
    const expected = ids(await first.search(caller.pubkey, { query: 'ferries', tier: 'episodic', limit: 20 }));
    assert.deepEqual(first.index.loads, { file: 0, built: 1 });
    assert.equal(readdirSync(indexDir).filter((n) => n.endsWith('.seg')).length, 1);
    // Written after the file, and the process "dies" without close(): no flush.
    const late = await first.write(caller, { text: 'a late note about ferries', tier: 'episodic' });
    db.close();

    db = openDatabase(dbPath);
    const second = service(db, indexDir);
    const found = ids(await second.search(caller.pubkey, { query: 'ferries', tier: 'episodic', limit: 20 }));
    assert.deepEqual(second.index.loads, { file: 1, built: 0 });
    assert.ok(found.includes(late.id));
    assert.deepEqual(found.filter((id) => id !== late.id).sort(), expected.slice(0, found.length - 1).sort());
    // Columns are read from the file on first use: a file cut short under a loaded segment is
    // noticed when a query needs one of its unread columns, and the segment is rebuilt from SQLite.
    const seg = readdirSync(indexDir).find((n) => n.endsWith('.seg'))!;
    truncateSync(join(indexDir, seg), 200);
    const harbour = ids(await second.search(caller.pubkey, { query: 'harbour cranes tugboats', tier: 'episodic', limit: 50 }));
    assert.equal(second.index.loads.built, 1);
    assert.equal(harbour.length, 40); // every note (the late one shares no word with the query)
    await second.close();
    db.close();

    // A delete behind the index's back (another process, a repair) moves the epoch: rebuilt.
    db = openDatabase(dbPath);
    db.prepare('DELETE FROM memory_records WHERE id = ?').run(late.id);
    const third = service(db, indexDir);
    const after = ids(await third.search(caller.pubkey, { query: 'ferries', tier: 'episodic', limit: 20 }));
    assert.deepEqual(third.index.loads, { file: 0, built: 1 });
    assert.ok(!after.includes(late.id));
    db.close();

    // A file that is not this database's (another nonce) or is garbage is never loaded.
    db = openDatabase(dbPath);
    db.prepare("UPDATE memory_index_meta SET nonce = 'another-database'").run();
    const fourth = service(db, indexDir);
    await fourth.search(caller.pubkey, { query: 'ferries', tier: 'episodic' });
    assert.deepEqual(fourth.index.loads, { file: 0, built: 1 });
    for (const name of readdirSync(indexDir)) writeFileSync(join(indexDir, name), 'garbage');
    const fifth = service(db, indexDir);
    assert.deepEqual(ids(await fifth.search(caller.pubkey, { query: 'ferries', tier: 'episodic', limit: 20 })).sort(), after.sort());
    assert.deepEqual(fifth.index.loads, { file: 0, built: 1 });
    db.close();
  } finally {
    cleanup();
  }
});

test('migration 008 indexes the records written before it; purge removes their FTS rows', async () => {
  const { dir, cleanup } = tempDir('covenant-fts-');
  try {
    const db = openDatabase(join(dir, 'covenant.db'));
    migrate(db, MIGRATIONS.filter((m) => m.version < 8));
    db.prepare(
      `INSERT INTO memory_records (id, tier, owner, text, embedding, metadata, created_at, parent, receipt_id)
       VALUES ('old-1', 'episodic', ?, 'written before full-text search existed', x'', '{}', 1, NULL, NULL)`,
    ).run(caller.pubkey);
    migrate(db);
    const memory = service(db, join(dir, 'memory-index'));
    const hits = await memory.search(caller.pubkey, { query: 'searching', limit: 5 });
    assert.deepEqual(ids(hits), ['old-1']); // porter: "searching" finds "search"
    assert.equal(hits[0]!.parts!.vector, 0); // no usable embedding: found by its words only
    memory.purge(caller, { beforeMs: 2 });
    assert.equal((db.prepare("SELECT count(*) AS n FROM memory_fts WHERE memory_fts MATCH 'search'").get() as { n: number }).n, 0);
    db.close();
  } finally {
    cleanup();
  }
});
