/**
 * The lexical half of hybrid memory search: BM25 over `memory_fts` (SQLite FTS5, `porter
 * unicode61`, migration 008), which triggers keep in the transaction of every record write and
 * delete.
 *
 * A query becomes the OR of its distinct words (each quoted, so FTS5 syntax in a query is plain
 * text; at most MAX_QUERY_TERMS of them); FTS5 stems them as it stemmed the records. `bm25()`
 * is FTS5's Okapi BM25 (k1 = 1.2, b = 0.75) with the sign flipped, so higher is better.
 */
import { statement, type Db } from '../store/index.js';
import type { MemoryTier } from '../protocol/index.js';
import { tokenize } from './embedder.js';

export const MAX_QUERY_TERMS = 64;

export interface LexicalHit {
  rowid: number;
  /** BM25, > 0. */
  score: number;
}

/** The FTS5 MATCH expression of a query: its distinct words, quoted and OR-ed; null when it has none. */
export function matchExpression(query: string): string | null {
  const words = [...new Set(tokenize(query))].slice(0, MAX_QUERY_TERMS);
  if (words.length === 0) return null;
  return words.map((word) => `"${word.replaceAll('"', '""')}"`).join(' OR ');
}

export class LexicalIndex {
  constructor(private readonly db: Db) {}

  /**
   * The `k` best BM25 matches over every record (anyone's, any tier); equal scores: the newer
   * (higher rowid) first. Ordered by the `bm25()` value and not by FTS5's `rank` column: the same scores,
   * but `ORDER BY rank` runs a second, sorting query inside FTS5 and costs about 1.6 times as much
   * CPU (docs/performance.md, "Memory search").
   */
  best(match: string, k: number): LexicalHit[] {
    return statement(this.db, 'SELECT rowid, -bm25(memory_fts) AS score FROM memory_fts WHERE memory_fts MATCH ? ORDER BY score DESC, rowid DESC LIMIT ?').all(match, k) as LexicalHit[];
  }

  /**
   * The `k` best BM25 matches among `owner`'s records in `tiers`: exact, and slower than `best`
   * (each match is looked up in `memory_records`), so it is used when `best` is not enough.
   */
  bestOf(match: string, owner: string, tiers: readonly MemoryTier[], k: number): LexicalHit[] {
    const sql = `SELECT memory_fts.rowid AS rowid, -bm25(memory_fts) AS score FROM memory_fts JOIN memory_records m ON m.rowid = memory_fts.rowid
         WHERE memory_fts MATCH ? AND m.owner = ? AND m.tier IN (${tiers.map(() => '?').join(', ')}) ORDER BY score DESC, memory_fts.rowid DESC LIMIT ?`;
    return statement(this.db, sql).all(match, owner, ...tiers, k) as LexicalHit[];
  }
}
