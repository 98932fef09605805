/**
 * Hybrid memory search (SPEC 3, docs/memory.md "Search"): BM25 over the record texts (lexical.ts)
 * fused with the cosine similarity of embeddings (search-index.ts), by normalised score fusion:
 *
 *   relevance = VECTOR_WEIGHT · max(cosine, 0) + LEXICAL_WEIGHT · bm25 / best_bm25
 *
 * where best_bm25 is the highest BM25 among the caller's matching records for this query. Both
 * parts are in [0, 1], so relevance is too; the identical text of a query scores 1 (its cosine
 * is 1 and nothing outscores it on BM25). Candidates are the union of the top
 * max(CANDIDATES, 2k) of each part; every candidate gets both parts (its cosine is computed
 * exactly, a record outside the lexical top has a lexical part of 0).
 *
 * The lexical top is taken over every record first (fast: FTS5 ranks without reading
 * `memory_records`) and then kept to the caller's records in the searched tiers; only when that
 * leaves fewer than k records while more matches exist does the exact per-owner query run.
 * The FTS5 query is sent first (to a worker thread, lexical-thread.ts) and the vectors scanned
 * while it runs.
 */
import type { MemoryTier } from '../protocol/index.js';
import { matchExpression } from './lexical.js';
import type { LexicalSource } from './lexical-thread.js';
import { round6, sparseQuery, type MemoryIndex } from './search-index.js';

export const VECTOR_WEIGHT = 0.3;
export const LEXICAL_WEIGHT = 0.7;
export const CANDIDATES = 100;

export type SearchMode = 'hybrid' | 'vector' | 'lexical';

export interface HybridHit {
  rowid: number;
  tier: MemoryTier;
  /** The fused score, rounded to 6 decimals. */
  relevance: number;
  /** Cosine similarity (clamped at 0) and normalised BM25, each rounded to 6 decimals. */
  parts: { vector: number; lexical: number };
}

interface Candidate {
  rowid: number;
  tier: MemoryTier;
  vector: number;
  lexical: number;
}

export class HybridSearch {
  constructor(
    private readonly index: MemoryIndex,
    private readonly lexical: LexicalSource,
  ) {}

  /**
   * The `k` best of `owner`'s records in `tiers` for a query (its text and its embedding), with
   * relevance > 0 and >= `minRelevance`, best first (ties: the newer record first). `mode`
   * 'vector' or 'lexical' uses one part alone (the bench compares them), its weight then 1.
   */
  async search(
    owner: string,
    tiers: readonly MemoryTier[],
    query: { text: string; vector: Float32Array | null },
    k: number,
    minRelevance = 0,
    mode: SearchMode = 'hybrid',
  ): Promise<HybridHit[]> {
    this.index.sync();
    const width = Math.max(CANDIDATES, 2 * k);
    const match = mode === 'vector' ? null : matchExpression(query.text);
    const lexicalTop = match === null ? null : this.lexical.best(match, width);
    const sparse = query.vector ? sparseQuery(query.vector) : { indices: new Int32Array(0), values: new Float32Array(0) };
    const candidates = new Map<number, Candidate>();
    if (mode !== 'lexical') {
      try {
        for (const hit of this.index.searchVector(owner, tiers, sparse, width)) {
          candidates.set(hit.rowid, { rowid: hit.rowid, tier: hit.tier, vector: hit.score, lexical: 0 });
        }
      } catch (error) {
        lexicalTop?.catch(() => undefined); // its outcome no longer matters
        throw error;
      }
    }
    if (match !== null && lexicalTop !== null) {
      const mine: Array<{ rowid: number; score: number; tier: MemoryTier; vector: number }> = [];
      const keep = (hits: Array<{ rowid: number; score: number }>) => {
        mine.length = 0;
        for (const hit of hits) {
          const found = this.index.lookup(owner, tiers, hit.rowid, sparse);
          if (found) mine.push({ rowid: hit.rowid, score: hit.score, tier: found.tier, vector: found.score });
        }
      };
      const all = await lexicalTop;
      keep(all);
      if (mine.length < k && all.length === width) keep(await this.lexical.bestOf(match, owner, tiers, width));
      const best = mine.reduce((m, h) => Math.max(m, h.score), 0);
      for (const hit of mine) {
        const lexical = best > 0 ? hit.score / best : 0;
        const known = candidates.get(hit.rowid);
        if (known) known.lexical = lexical;
        else candidates.set(hit.rowid, { rowid: hit.rowid, tier: hit.tier, vector: mode === 'lexical' ? 0 : hit.vector, lexical });
      }
    }
    const [wv, wl] = mode === 'hybrid' ? [VECTOR_WEIGHT, LEXICAL_WEIGHT] : mode === 'vector' ? [1, 0] : [0, 1];
    const hits: HybridHit[] = [];
    for (const c of candidates.values()) {
      const vector = Math.max(c.vector, 0);
      const relevance = round6(wv * vector + wl * c.lexical);
      if (relevance > 0 && relevance >= minRelevance) {
        hits.push({ rowid: c.rowid, tier: c.tier, relevance, parts: { vector: round6(vector), lexical: round6(c.lexical) } });
      }
    }
    // Rowids grow with insertion: on equal relevance, the newer record first.
    hits.sort((a, b) => b.relevance - a.relevance || b.rowid - a.rowid);
    return hits.slice(0, k);
  }
}
