/**
 * Fills the BM25 index (bm25-index.ts) from FTS5 and keeps it exact (docs/memory.md "The BM25
 * index"). FTS5 stays the index of record; this module only reads it:
 *
 * - Build: in one read transaction (one snapshot), `memory_index_epoch`, FTS5's totals, every
 *   record's (rowid, owner, tier) and every token occurrence from an `fts5vocab` table of type
 *   'instance' over `memory_fts` (FTS5's own terms: nothing is re-tokenized). A generator, so the
 *   worker runs it in slices between queries.
 * - Before each query (`refresh`, inside the query's read transaction): the epoch must be the
 *   index's (a delete or an owner/tier change moves it), records above the highest indexed
 *   rowid are added (tokenized by FTS5 itself, `Fts5Twin`), and FTS5's totals must equal
 *   the index's record and token counts. Anything else: the index is stale, FTS5 answers.
 */
import Database from 'better-sqlite3';
import type { MemoryTier } from '../protocol/index.js';
import { statement, type Db } from '../store/index.js';
import { Bm25Index, PostingsBuilder, type Fts5Totals } from './bm25-index.js';
import { readEpoch, readMaxRowid } from './index-watermarks.js';

/** The tokenizer options of `memory_fts` (migration 008): the private tokenizer must use the same. */
export const MEMORY_FTS_TOKENIZER = 'porter unicode61';
/** More new records than this before a query: rebuild rather than add them one by one. */
export const MAX_CATCH_UP = 50_000;
/** Rowids sparser than this (max rowid over records) are not worth dense arrays: FTS5 answers. */
const MAX_ROWID_SPREAD = 4;
/** FTS5 keeps its totals in the row of id 1 of its `_data` table (FTS5_AVERAGES_ROWID). */
const AVERAGES_ROWID = 1;

/** SQLite's varint (as FTS5 writes it): big-endian 7-bit groups, the 9th byte whole. */
function readVarint(bytes: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  for (let i = 0; i < 8; i += 1) {
    const byte = bytes[at + i]!;
    value = value * 128 + (byte & 0x7f);
    if (byte < 0x80) return [value, at + i + 1];
  }
  return [value * 256 + bytes[at + 8]!, at + 9];
}

/** FTS5's row count and total tokens of `memory_fts` (its single column), what `bm25()` reads. */
export function readTotals(db: Db): Fts5Totals {
  const row = statement(db, 'SELECT block FROM memory_fts_data WHERE id = ?').get(AVERAGES_ROWID) as { block: Uint8Array } | undefined;
  if (row === undefined || row.block.length === 0) return { rows: 0, tokens: 0 };
  const [rows, next] = readVarint(row.block, 0);
  const [tokens] = readVarint(row.block, next);
  return { rows, tokens };
}

/**
 * A private in-memory SQLite for what must be computed exactly as FTS5 does: texts' tokens (an
 * FTS5 table with `memory_fts`'s tokenizer) and the natural logarithm (SQLite's `ln()`, the C
 * library's `log()` that FTS5's `bm25()` calls).
 */
export class Fts5Twin {
  private readonly db = new Database(':memory:');
  private readonly insert;
  private readonly instances;
  private readonly lnStatement;
  /** `ln` as a function (bound). */
  readonly ln = (x: number): number => this.lnStatement.get(x) as number;

  constructor() {
    this.db.exec(`CREATE VIRTUAL TABLE t USING fts5(text, tokenize = '${MEMORY_FTS_TOKENIZER}');
      CREATE VIRTUAL TABLE t_instances USING fts5vocab(t, instance);`);
    this.insert = this.db.prepare('INSERT INTO t (rowid, text) VALUES (?, ?)');
    this.instances = this.db.prepare('SELECT term, doc FROM t_instances').raw();
    this.lnStatement = this.db.prepare('SELECT ln(?)').pluck();
  }

  /** Each text's tokens (repeats kept, order not). */
  tokens(texts: readonly string[]): string[][] {
    const out = texts.map((): string[] => []);
    if (texts.length === 0) return out;
    this.db.transaction(() => {
      texts.forEach((text, i) => this.insert.run(i + 1, text));
      for (const [term, doc] of this.instances.iterate() as IterableIterator<[string, number]>) out[doc - 1]!.push(term);
      this.db.exec('DELETE FROM t');
    })();
    return out;
  }

  close(): void {
    this.db.close();
  }
}

/** How often a build slice checks the clock (records). */
const SLICE_ROWS = 4096;

/**
 * Builds the index from one snapshot of `db`; yields after each term and every SLICE_ROWS
 * records so the caller can pause; returns null when the index cannot be exact (sparse rowids, FTS5 disagreeing with
 * the records): FTS5 then answers every query.
 */
export function* buildBm25(db: Db): Generator<void, Bm25Index | null> {
  db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS temp.memory_fts_terms USING fts5vocab(main, memory_fts, row);
    CREATE VIRTUAL TABLE IF NOT EXISTS temp.memory_fts_instances USING fts5vocab(main, memory_fts, instance);`);
  db.exec('BEGIN');
  try {
    const epoch = readEpoch(db);
    const totals = readTotals(db);
    const maxRowid = readMaxRowid(db);
    if (maxRowid > MAX_ROWID_SPREAD * totals.rows + 65_536) return null;
    const builder = new PostingsBuilder();
    // Term by term: `all()` of one term's rowids costs a third of stepping through every instance.
    const occurrences = db.prepare('SELECT doc FROM temp.memory_fts_instances WHERE term = ?').pluck();
    for (const term of db.prepare('SELECT term FROM temp.memory_fts_terms').pluck().all() as string[]) {
      builder.add(term, occurrences.all(term) as number[]);
      yield;
    }
    const index = new Bm25Index(builder.finish(), builder.lengths, epoch);
    let rows = 0;
    for (const [rowid, owner, tier] of db.prepare('SELECT rowid, owner, tier FROM memory_records ORDER BY rowid').raw().iterate() as IterableIterator<[number, string, MemoryTier]>) {
      index.adopt(rowid, owner, tier);
      if (++rows % SLICE_ROWS === 0) yield;
    }
    // Every occurrence belongs to a record, and FTS5's totals are the records': else not exact.
    return index.tokens === builder.instances && index.matches(totals) ? index : null;
  } finally {
    db.exec('COMMIT');
  }
}

/**
 * Brings `index` up to the snapshot of `db`'s open read transaction: false when it is stale
 * (then FTS5 must answer, and a rebuild is due).
 */
export function refreshBm25(index: Bm25Index, db: Db, twin: Fts5Twin, totals: Fts5Totals): boolean {
  if (readEpoch(db) !== index.epoch) return false;
  const rows = statement(db, 'SELECT rowid, owner, tier, text FROM memory_records WHERE rowid > ? ORDER BY rowid LIMIT ?')
    .raw()
    .all(index.seenRowid, MAX_CATCH_UP + 1) as Array<[number, string, MemoryTier, string | null]>;
  if (rows.length > MAX_CATCH_UP) return false;
  if (rows.length > 0) {
    const tokens = twin.tokens(rows.map((row) => row[3] ?? ''));
    rows.forEach(([rowid, owner, tier], i) => index.add({ rowid, owner, tier, tokens: tokens[i]! }));
  }
  return index.matches(totals);
}

/** The terms of a match expression from `matchExpression` ("w1" OR "w2" …), one per phrase; null when a word is not exactly one FTS5 token. */
export function matchTerms(match: string, twin: Fts5Twin): string[] | null {
  const words: string[] = [];
  for (const phrase of match.split(' OR ')) {
    const word = /^"([\p{L}\p{N}]+)"$/u.exec(phrase)?.[1];
    if (word === undefined) return null;
    words.push(word);
  }
  const tokens = twin.tokens(words);
  if (tokens.some((t) => t.length !== 1)) return null;
  return tokens.map((t) => t[0]!);
}
