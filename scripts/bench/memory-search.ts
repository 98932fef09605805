import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { newId, systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { LocalEmbedder, MemoryRecords, MemoryService } from '../../src/memory/index.js';
import { migrate, openDatabase } from '../../src/store/index.js';
import { msSince, percentile, type Ratio } from './stats.js';

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

/**
 * Memory search over 100,000 records of one owner (SPEC 3, docs/memory.md): p50 of
 * `MemoryService.search` (top 10, the real path: query embedding, in-process index, SQLite fetch
 * of the hits) over `queries` queries, against a brute-force scan of the same Float32 embeddings
 * (one row-major Float32Array, a plain dot-product loop over every record, top 10 by selection)
 * as the floor. Records are written with the memory repository in one transaction.
 */
export function benchMemorySearch(dir: string, records = 100_000, queries = 50): Ratio {
  const db = openDatabase(join(dir, 'bench-memory.db'));
  db.pragma('synchronous = OFF');
  migrate(db);
  const keys = keyPairFromSeed(generateSeed());
  const owner = { display: 'user@local', pubkey: keys.publicKeyB58 };
  const embedder = new LocalEmbedder();
  const repo = new MemoryRecords(db);
  const rand = lcg(20_240_611);
  const words = vocabulary(5000, rand);
  const dims = embedder.dims;
  const flat = new Float32Array(records * dims);

  const buildStart = performance.now();
  db.transaction(() => {
    const now = Date.now();
    for (let i = 0; i < records; i += 1) {
      const text = sentence(words, rand, 6, 24);
      const embedding = embedder.embed(text);
      flat.set(embedding, i * dims);
      repo.insert({
        id: newId(),
        tier: 'episodic',
        owner: owner.pubkey,
        text,
        embedding,
        metadata: { source: 'bench' },
        created_at: now - (records - i),
        parent: null,
        receipt_id: null,
      });
    }
  })();
  const buildMs = performance.now() - buildStart;

  const memory = new MemoryService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, embedder });
  const texts = Array.from({ length: queries }, () => sentence(words, rand, 2, 5));

  const coldStart = performance.now();
  memory.search(owner.pubkey, { query: texts[0]!, tier: 'episodic', limit: 10 });
  const coldMs = performance.now() - coldStart;

  // Warm-up, then the measured rounds.
  for (const text of texts.slice(0, 5)) memory.search(owner.pubkey, { query: text, tier: 'episodic', limit: 10 });
  const indexSamples: number[] = [];
  const indexBest: number[] = [];
  for (const text of texts) {
    const start = process.hrtime.bigint();
    const hits = memory.search(owner.pubkey, { query: text, tier: 'episodic', limit: 10 });
    indexSamples.push(msSince(start));
    indexBest.push(hits[0]?.relevance ?? 0);
  }

  const bruteScores = new Float32Array(records);
  const brute = (query: Float32Array): number[] => {
    for (let i = 0, base = 0; i < records; i += 1, base += dims) {
      let s = 0;
      for (let j = 0; j < dims; j += 1) s += flat[base + j]! * query[j]!;
      bruteScores[i] = s;
    }
    const top: number[] = [];
    for (let i = 0; i < records; i += 1) {
      const s = bruteScores[i]!;
      if (s <= 0) continue;
      if (top.length < 10) top.push(i);
      else {
        let worst = 0;
        for (let k = 1; k < 10; k += 1) if (bruteScores[top[k]!]! < bruteScores[top[worst]!]!) worst = k;
        if (s > bruteScores[top[worst]!]!) top[worst] = i;
      }
    }
    return top.sort((a, b) => bruteScores[b]! - bruteScores[a]!);
  };
  const vectors = texts.map((t) => embedder.embed(t));
  for (const v of vectors.slice(0, 3)) brute(v);
  const bruteSamples: number[] = [];
  let agree = 0;
  vectors.forEach((v, q) => {
    const start = process.hrtime.bigint();
    const top = brute(v);
    bruteSamples.push(msSince(start));
    // The same best relevance: the index is exact, not approximate.
    const best = top[0] === undefined ? 0 : bruteScores[top[0]]!;
    if (Math.abs(best - indexBest[q]!) < 1e-5) agree += 1;
  });
  db.close();

  const subject = percentile(indexSamples, 50);
  const baseline = percentile(bruteSamples, 50);
  return {
    name: `memory search, top 10 of ${records.toLocaleString('en-US')} records (p50 latency)`,
    subject: `MemoryService.search (in-process index; build ${Math.round(buildMs)} ms, first search ${Math.round(coldMs)} ms, p95 ${percentile(indexSamples, 95).toFixed(2)} ms, best hit = brute force in ${agree}/${queries})`,
    baseline: 'brute-force scan of the same Float32 embeddings',
    subjectValue: subject,
    baselineValue: baseline,
    unit: 'ms',
    ratio: subject / baseline,
    target: 'p50 <= 25 ms',
    met: subject <= 25,
  };
}
