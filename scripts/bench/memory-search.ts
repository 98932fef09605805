import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AuditLog } from '../../src/audit/index.js';
import { newId, systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { LocalEmbedder, localMemoryEmbedder, MemoryRecords, MemoryService, type SearchMode } from '../../src/memory/index.js';
import { migrate, openDatabase, type Db } from '../../src/store/index.js';
import { benchMemoryQuality } from './memory-quality.js';
import { percentile, type Ratio } from './stats.js';

/** A deterministic pseudo-random source (the same corpus on every run). */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'qua', 'dri', 'pol', 'fen', 'gur', 'bis', 'hal'];

function vocabulary(size: number, rand: () => number): string[] {
  const words = new Set<string>();
  while (words.size < size) {
    const n = 2 + Math.floor(rand() * 3);
    let word = '';
    for (let i = 0; i < n; i += 1) word += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    words.add(word);
  }
  return [...words];
}

function sentence(words: readonly string[], rand: () => number, min: number, max: number): string {
  const n = min + Math.floor(rand() * (max - min + 1));
  // Zipf-ish: frequent words are frequent, as in real notes.
  return Array.from({ length: n }, () => words[Math.floor(words.length * rand() * rand())]).join(' ');
}

const MiB = 1024 * 1024;
/** Records per insert transaction: an import request's worth. */
const INSERT_BATCH = 1000;
/** Records written with synchronous FULL for the insert throughput. */
const DURABLE_SAMPLE = 10_000;

function timed<T>(run: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = run();
  return { value, ms: performance.now() - start };
}

async function timedAsync<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

async function p50(memory: MemoryService, owner: string, queries: readonly string[], mode: SearchMode): Promise<number> {
  for (const query of queries.slice(0, 5)) await memory.search(owner, { query, tier: 'episodic', limit: 10, mode });
  const samples: number[] = [];
  for (const query of queries) samples.push((await timedAsync(() => memory.search(owner, { query, tier: 'episodic', limit: 10, mode }))).ms);
  return percentile(samples, 50);
}

/**
 * Memory search at scale (docs/performance.md "memory search"): `records` records of one owner
 * written through the record repository (embedding, row, FTS5 row by trigger) in transactions of
 * INSERT_BATCH (the last DURABLE_SAMPLE with the daemon's synchronous FULL, timed); then, through
 * `MemoryService.search` (top 10: query embedding, vector index, FTS5 BM25, fusion, SQLite fetch):
 * the first search (the index built from SQLite and written to its file), the p50 of `queries`
 * hybrid searches beside BM25 alone and vector alone, the index's memory, and the first search of
 * a new service on a reopened database (the file loaded: a daemon restart).
 */
export async function benchMemoryScale(dir: string, records: number, queries = 50): Promise<Ratio[]> {
  const dbPath = join(dir, `bench-memory-${records}.db`);
  const indexDir = join(dir, `bench-memory-index-${records}`);
  let db: Db = openDatabase(dbPath);
  migrate(db);
  const keys = keyPairFromSeed(generateSeed());
  const owner = { display: 'user@local', pubkey: keys.publicKeyB58 };
  const embedder = new LocalEmbedder();
  const repo = new MemoryRecords(db);
  const rand = lcg(20_240_611);
  const words = vocabulary(5000, rand);
  const now = Date.now();
  const insertBatches = (count: number) => {
    for (let done = 0; done < count; done += INSERT_BATCH) {
      db.transaction(() => {
        for (let i = done; i < Math.min(count, done + INSERT_BATCH); i += 1) {
          const text = sentence(words, rand, 6, 24);
          repo.insert({
            id: newId(),
            tier: 'episodic',
            owner: owner.pubkey,
            text,
            embedding: embedder.embed(text),
            metadata: { source: 'bench' },
            created_at: now - (records - i),
            parent: null,
            receipt_id: null,
          });
        }
      })();
    }
  };
  // The corpus is written without fsync (the bench machine's disk is shared), then DURABLE_SAMPLE
  // more records with the daemon's durability: that is the insert throughput reported.
  db.pragma('synchronous = OFF');
  const bulk = timed(() => insertBatches(records - DURABLE_SAMPLE));
  db.pragma('synchronous = FULL');
  const insert = timed(() => insertBatches(DURABLE_SAMPLE));
  const insertPerSecond = DURABLE_SAMPLE / (insert.ms / 1000);
  const bulkPerSecond = (records - DURABLE_SAMPLE) / (bulk.ms / 1000);
  const service = () => new MemoryService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, embedder: localMemoryEmbedder(embedder), indexDir });
  const texts = Array.from({ length: queries }, () => sentence(words, rand, 2, 5));

  let memory = service();
  const cold = await timedAsync(() => memory.search(owner.pubkey, { query: texts[0]!, tier: 'episodic', limit: 10 }));
  const hybrid = await p50(memory, owner.pubkey, texts, 'hybrid');
  const lexical = await p50(memory, owner.pubkey, texts, 'lexical');
  const vector = await p50(memory, owner.pubkey, texts, 'vector');
  const indexBytes = memory.index.stats().bytes;
  memory.close();
  db.close();

  db = openDatabase(dbPath);
  memory = service();
  const restart = await timedAsync(() => memory.search(owner.pubkey, { query: texts[1]!, tier: 'episodic', limit: 10 }));
  const fromFile = memory.index.loads.file === 1;
  db.close();
  for (const path of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`, indexDir]) rmSync(path, { recursive: true, force: true });

  const n = records.toLocaleString('en-US');
  const searchTarget = records >= 1_000_000 ? 50 : 25;
  const memoryTarget = 512 * (records / 1_000_000);
  const float32Bytes = records * embedder.dims * 4;
  return [
    {
      name: `memory search, top 10 of ${n} records (p50 latency)`,
      subject: `hybrid MemoryService.search (vector alone ${vector.toFixed(2)} ms)`,
      baseline: 'BM25 alone (FTS5), same path',
      subjectValue: hybrid,
      baselineValue: lexical,
      unit: 'ms',
      ratio: hybrid / lexical,
      target: `hybrid p50 <= ${searchTarget} ms`,
      met: hybrid <= searchTarget,
    },
    {
      name: `memory search index memory, ${n} records`,
      subject: 'vector index (8-bit components, rowids, scales)',
      baseline: 'the same embeddings as Float32',
      subjectValue: indexBytes / MiB,
      baselineValue: float32Bytes / MiB,
      unit: 'MiB',
      ratio: indexBytes / float32Bytes,
      target: `<= ${memoryTarget.toFixed(0)} MiB (512 MiB per 1M records)`,
      met: indexBytes / MiB <= memoryTarget,
    },
    {
      name: `memory search, first search after a restart, ${n} records`,
      subject: `first search, index file loaded${fromFile ? '' : ' (NOT loaded: rebuilt)'}`,
      baseline: 'first search building the index from SQLite',
      subjectValue: restart.ms,
      baselineValue: cold.ms,
      unit: 'ms',
      ratio: restart.ms / cold.ms,
      target: '<= 2000 ms, from the file',
      met: restart.ms <= 2000 && fromFile,
    },
    {
      name: `memory insert throughput at ${n} records, transactions of ${INSERT_BATCH}`,
      subject: 'records/s: local embedding, row, FTS5 row (WAL, synchronous FULL)',
      baseline: 'records/s of the same with synchronous OFF (the corpus build)',
      subjectValue: insertPerSecond,
      baselineValue: bulkPerSecond,
      unit: 'records/s',
      ratio: insertPerSecond / bulkPerSecond,
      target: 'reported',
      met: true,
    },
  ];
}

/** The sizes (ISSUE 15 item 7); `npm run bench -- --memory-records 100000` runs fewer. */
export const DEFAULT_MEMORY_SIZES = [100_000, 1_000_000];

function sizesFromArgv(argv: readonly string[]): number[] {
  const at = argv.indexOf('--memory-records');
  if (at < 0) return DEFAULT_MEMORY_SIZES;
  const sizes = (argv[at + 1] ?? '').split(',').map(Number);
  if (sizes.length === 0 || sizes.some((n) => !Number.isSafeInteger(n) || n <= DURABLE_SAMPLE)) {
    throw new Error(`--memory-records takes sizes above ${DURABLE_SAMPLE} separated by commas, e.g. 100000,1000000`);
  }
  return sizes;
}

/** Every memory search figure: retrieval quality, then each size's latency, memory, restart and inserts. */
export async function benchMemorySearch(dir: string, sizes = sizesFromArgv(process.argv.slice(2))): Promise<Ratio[]> {
  const nodeModules = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'node_modules');
  const ratios = [(await benchMemoryQuality(dir, nodeModules)).ratio];
  for (const records of sizes) ratios.push(...(await benchMemoryScale(dir, records)));
  return ratios;
}
