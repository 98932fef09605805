import { join } from 'node:path';
import { AuditLog } from '../../src/audit/index.js';
import { systemClock } from '../../src/core/index.js';
import { generateSeed, keyPairFromSeed } from '../../src/identity/index.js';
import { localMemoryEmbedder, MemoryService, type SearchMode } from '../../src/memory/index.js';
import { migrate, openDatabase } from '../../src/store/index.js';
import { readmeCorpus } from './readme-corpus.js';
import type { Ratio } from './stats.js';

export interface QualityScores {
  mode: SearchMode;
  mrr10: number;
  recall10: number;
}

/**
 * Retrieval quality of memory search (docs/performance.md "memory search") on the README
 * known-item set (readme-corpus.ts): every document written as one record through
 * `MemoryService.write` (the real path: embedding, FTS row, receipt), every description asked
 * through `MemoryService.search` top 10 in each mode. MRR@10: the mean of 1/rank of the right
 * document (0 when it is not in the top 10); recall@10: the share found in the top 10.
 */
export async function benchMemoryQuality(dir: string, nodeModules: string, size = 300): Promise<{ items: number; scores: QualityScores[]; ratio: Ratio }> {
  const items = readmeCorpus(nodeModules, size);
  const db = openDatabase(join(dir, 'bench-memory-quality.db'));
  db.pragma('synchronous = OFF');
  migrate(db);
  const keys = keyPairFromSeed(generateSeed());
  const owner = { display: 'user@local', pubkey: keys.publicKeyB58 };
  const memory = new MemoryService({ db, audit: new AuditLog(db, keys, systemClock), clock: systemClock, embedder: localMemoryEmbedder() });
  const idOf = new Map<string, string>();
  for (const item of items) idOf.set(item.name, (await memory.write(owner, { text: item.document, tier: 'longterm' })).id);
  const scores: QualityScores[] = [];
  for (const mode of ['vector', 'lexical', 'hybrid'] as const) {
    let reciprocal = 0;
    let found = 0;
    for (const item of items) {
      const hits = await memory.search(owner.pubkey, { query: item.query, limit: 10, mode });
      const rank = hits.findIndex((h) => h.id === idOf.get(item.name));
      if (rank >= 0) {
        reciprocal += 1 / (rank + 1);
        found += 1;
      }
    }
    scores.push({ mode, mrr10: reciprocal / items.length, recall10: found / items.length });
  }
  await memory.close();
  db.close();
  const [vector, lexical, hybrid] = scores as [QualityScores, QualityScores, QualityScores];
  const f = (s: QualityScores) => `MRR@10 ${s.mrr10.toFixed(3)}, recall@10 ${s.recall10.toFixed(3)}`;
  return {
    items: items.length,
    scores,
    ratio: {
      name: `memory search quality, known-item search over ${items.length} node_modules READMEs (MRR@10; vector-only: ${f(vector)})`,
      subject: `hybrid (BM25 + vector): ${f(hybrid)}`,
      baseline: `BM25 only: ${f(lexical)}`,
      subjectValue: hybrid.mrr10,
      baselineValue: lexical.mrr10,
      unit: 'MRR@10',
      ratio: hybrid.mrr10 / lexical.mrr10,
      target: 'hybrid MRR@10 >= BM25-only and >= 0.75',
      met: hybrid.mrr10 >= lexical.mrr10 && hybrid.mrr10 >= 0.75,
    },
  };
}
