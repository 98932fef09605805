/**
 * An in-memory inverted index that scores exactly as FTS5's `bm25()` over `memory_fts`
 * (docs/memory.md "Search and the index", "The BM25 index"): the lexical worker answers from it
 * instead of FTS5's score-every-match (bm25-sync.ts fills it from FTS5 and keeps it current).
 *
 * Same rows, same scores to the bit, same order as LexicalIndex's queries, because it computes
 * what FTS5's `fts5Bm25Function` computes, in the same order of operations, in doubles:
 *
 *   avgdl = total tokens / rows                           (FTS5's own totals, passed in)
 *   idf_i = ln((rows - hits_i + 0.5) / (hits_i + 0.5)), at least 1e-6 (libm's log, as FTS5)
 *   score = sum over the query's phrases i, in query order, of
 *           idf_i · (f_i · (k1 + 1)) / (f_i + k1 · (1 - b + b · D / avgdl))
 *
 * with k1 = 1.2, b = 0.75, f_i the occurrences of phrase i in the record and D its token count.
 * Each phrase here is one term (the worker falls back to FTS5 for any query word that is not
 * exactly one FTS5 token). Scoring is term-at-a-time into a dense accumulator indexed by rowid;
 * a phrase contributing 0 to a record is the `+ 0.0` FTS5 adds, so the sums are equal.
 *
 * Postings: the ones read at build time packed in typed arrays (term → a range of rowids in
 * ascending order and their frequencies), records added since then in a small per-term tail.
 * Deleted records stay in the postings, marked dead (skipped, not counted in a term's hits).
 */
import { MEMORY_TIERS, type MemoryTier } from '../protocol/index.js';
import type { LexicalHit } from './lexical.js';

const K1 = 1.2;
const B = 0.75;
/** Frequencies at or above this are kept in `overflow` (a Uint16 holds the rest). */
const FREQ_OVERFLOW = 0xffff;
/** Record lengths (tokens) whose BM25 length part is cached per query. */
const NORM_CACHE = 1 << 14;

/** FTS5's totals over the table (its "averages" record): what `avgdl` and the IDFs are computed from. */
export interface Fts5Totals {
  rows: number;
  tokens: number;
}

/** Packed postings of the terms read at build time (PostingsBuilder's output). */
export interface PackedPostings {
  terms: Map<string, number>;
  /** Term slot s owns docs[starts[s] .. starts[s + 1]). */
  starts: Uint32Array;
  docs: Uint32Array;
  freqs: Uint16Array;
  overflow: Map<number, number>;
}

function grow<T extends Uint32Array | Uint16Array | Uint8Array | Int32Array | Float64Array>(array: T, size: number): T {
  if (size <= array.length) return array;
  const next = new (array.constructor as new (n: number) => T)(Math.max(size, Math.ceil(array.length * 1.5), 1024));
  next.set(array);
  return next;
}

/**
 * Packs postings from FTS5's instances, one term at a time: its records' rowids in ascending
 * order, one per occurrence (FTS5's `fts5vocab` instance order); counts each record's tokens.
 */
export class PostingsBuilder {
  private readonly terms = new Map<string, number>();
  private starts = new Uint32Array(1024);
  private docs = new Uint32Array(1 << 16);
  private freqs = new Uint16Array(1 << 16);
  private readonly overflow = new Map<number, number>();
  private size = 0;
  /** Occurrences added (every token of a record is one). */
  instances = 0;
  /** Tokens per rowid. */
  lengths = new Uint32Array(1024);

  add(term: string, occurrences: readonly number[]): void {
    if (this.terms.has(term)) throw new Error(`term ${JSON.stringify(term)} added twice`);
    this.starts = grow(this.starts, this.terms.size + 2);
    this.starts[this.terms.size] = this.size;
    this.terms.set(term, this.terms.size);
    const last = occurrences.length === 0 ? 0 : occurrences[occurrences.length - 1]!;
    this.lengths = grow(this.lengths, last + 1);
    this.docs = grow(this.docs, this.size + occurrences.length);
    this.freqs = grow(this.freqs, this.size + occurrences.length);
    let i = 0;
    let previous = -1;
    while (i < occurrences.length) {
      const doc = occurrences[i]!;
      if (doc <= previous) throw new Error('occurrences out of rowid order');
      previous = doc;
      let j = i + 1;
      while (j < occurrences.length && occurrences[j] === doc) j += 1;
      const freq = j - i;
      this.docs[this.size] = doc;
      this.freqs[this.size] = Math.min(freq, FREQ_OVERFLOW);
      if (freq >= FREQ_OVERFLOW) this.overflow.set(this.size, freq);
      this.lengths[doc]! += freq;
      this.size += 1;
      i = j;
    }
    this.instances += occurrences.length;
  }

  finish(): PackedPostings {
    const starts = new Uint32Array(this.terms.size + 1);
    starts.set(this.starts.subarray(0, this.terms.size));
    starts[this.terms.size] = this.size;
    return { terms: this.terms, starts, docs: this.docs.slice(0, this.size), freqs: this.freqs.slice(0, this.size), overflow: this.overflow };
  }
}

/** One record as the index needs it: its rowid, owner, tier and FTS5 tokens (in any order, repeats kept). */
export interface IndexedText {
  rowid: number;
  owner: string;
  tier: MemoryTier;
  tokens: readonly string[];
}

export class Bm25Index {
  private readonly owners = new Map<string, number>();
  private ownerOf = new Int32Array(0);
  private tierOf = new Uint8Array(0);
  private alive = new Uint8Array(0);
  private lengths: Uint32Array;
  /** Postings of records added after the build: term → [rowid, freq, rowid, freq, …]. */
  private readonly tail = new Map<string, number[]>();
  private tailPostings = 0;
  private deadCount = 0;
  private scores = new Float64Array(0);
  /** The records with a score in this query (at most one entry per record). */
  private touched = new Uint32Array(0);
  /** k1 · (1 - b + b · D / avgdl) by record length D, for `normsAvgdl`; -1: not computed yet. */
  private readonly norms = new Float64Array(NORM_CACHE).fill(-1);
  private normsAvgdl = Number.NaN;
  /** Live records and their tokens: must equal FTS5's totals for the index to answer. */
  records = 0;
  tokens = 0;
  /** The highest rowid indexed (records above it are added by the caller before a query). */
  seenRowid = 0;

  constructor(
    private readonly packed: PackedPostings,
    lengths: Uint32Array,
    /** The `memory_index_epoch` the index reflects: any other epoch means deletes or changes it has not seen. */
    public epoch: number,
  ) {
    this.lengths = lengths;
  }

  /** Registers a record whose postings are already in the packed part (the build). */
  adopt(rowid: number, owner: string, tier: MemoryTier): void {
    this.ensure(rowid);
    this.setRecord(rowid, owner, tier);
    this.tokens += this.lengths[rowid]!;
  }

  /** Adds a record written after the build (its rowid above every indexed one). */
  add(record: IndexedText): void {
    if (record.rowid <= this.seenRowid) throw new Error(`rowid ${record.rowid} is not above the indexed ${this.seenRowid}`);
    this.ensure(record.rowid);
    this.setRecord(record.rowid, record.owner, record.tier);
    const counts = new Map<string, number>();
    for (const token of record.tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
    for (const [term, freq] of counts) {
      let list = this.tail.get(term);
      if (list === undefined) this.tail.set(term, (list = []));
      list.push(record.rowid, freq);
    }
    this.tailPostings += counts.size;
    this.lengths[record.rowid] = record.tokens.length;
    this.tokens += record.tokens.length;
  }

  /** Marks records deleted; false when one of them is not a live record of the index. */
  remove(rowids: readonly number[]): boolean {
    for (const rowid of rowids) {
      if (rowid >= this.alive.length || this.alive[rowid] !== 1) return false;
      this.alive[rowid] = 0;
      this.records -= 1;
      this.tokens -= this.lengths[rowid]!;
      this.deadCount += 1;
    }
    return true;
  }

  matches(totals: Fts5Totals): boolean {
    return totals.rows === this.records && totals.tokens === this.tokens;
  }

  /** Bytes held by the index (postings, per-record arrays, the accumulator). */
  bytes(): number {
    const p = this.packed;
    const arrays = [p.starts, p.docs, p.freqs, this.ownerOf, this.tierOf, this.alive, this.lengths, this.scores, this.touched];
    const termBytes = [...p.terms.keys()].reduce((sum, term) => sum + 2 * term.length + 48, 0);
    return arrays.reduce((sum, a) => sum + a.byteLength, 0) + termBytes + this.tailPostings * 16;
  }

  /**
   * The `k` best BM25 matches of `terms` (one per phrase, in query order), best first, equal
   * scores the higher rowid first; with `owner`, only that owner's records in `tiers`.
   * `totals` are FTS5's (checked equal to the index's by the caller); `ln` is the C library's
   * natural logarithm that FTS5 calls (V8's Math.log differs from it in the last bit now and then).
   */
  best(terms: readonly string[], totals: Fts5Totals, ln: (x: number) => number, k: number, owner: string | null = null, tiers: readonly MemoryTier[] = []): LexicalHit[] {
    const avgdl = totals.tokens / totals.rows;
    this.prepareNorms(avgdl);
    const scores = this.scores;
    let touchedCount = 0;
    for (const term of terms) {
      const slot = this.packed.terms.get(term);
      const start = slot === undefined ? 0 : this.packed.starts[slot]!;
      const end = slot === undefined ? 0 : this.packed.starts[slot + 1]!;
      const tail = this.tail.get(term);
      const hits = this.hits(start, end, tail);
      if (hits === 0) continue;
      let idf = ln((totals.rows - hits + 0.5) / (hits + 0.5));
      if (idf <= 0) idf = 1e-6;
      const { docs, freqs } = this.packed;
      for (let i = start; i < end; i += 1) {
        const f = freqs[i]!;
        touchedCount = this.accumulate(docs[i]!, f === FREQ_OVERFLOW ? this.packed.overflow.get(i)! : f, idf, touchedCount);
      }
      if (tail === undefined) continue;
      for (let i = 0; i < tail.length; i += 2) touchedCount = this.accumulate(tail[i]!, tail[i + 1]!, idf, touchedCount);
    }
    const filter = owner === null ? null : { owner: this.owners.get(owner) ?? -1, tiers: tierMask(tiers) };
    const top = new TopK(k);
    for (let i = 0; i < touchedCount; i += 1) {
      const doc = this.touched[i]!;
      const score = scores[doc]!;
      scores[doc] = 0;
      if (filter !== null && (this.ownerOf[doc] !== filter.owner || (filter.tiers & (1 << this.tierOf[doc]!)) === 0)) continue;
      top.offer(doc, score);
    }
    return top.sorted();
  }

  /**
   * Adds one phrase's part to a record's score: FTS5's expression, with its length part
   * `k1 · (1 - b + b · D / avgdl)` taken from `norms` (the same double, computed once per length).
   */
  private accumulate(doc: number, f: number, idf: number, touchedCount: number): number {
    if (this.alive[doc] !== 1) return touchedCount;
    const scores = this.scores;
    if (scores[doc] === 0) this.touched[touchedCount++] = doc;
    const length = this.lengths[doc]!;
    let norm = length < this.norms.length ? this.norms[length]! : -1;
    if (norm < 0) {
      norm = K1 * (1 - B + (B * length) / this.normsAvgdl);
      if (length < this.norms.length) this.norms[length] = norm;
    }
    scores[doc]! += idf * ((f * (K1 + 1.0)) / (f + norm));
    return touchedCount;
  }

  /** Forgets the cached length parts when the average length changed (any write or delete). */
  private prepareNorms(avgdl: number): void {
    if (avgdl === this.normsAvgdl) return;
    this.normsAvgdl = avgdl;
    this.norms.fill(-1);
  }

  /** How many live records hold the term (FTS5's `nHit` for a one-term phrase). */
  private hits(start: number, end: number, tail: number[] | undefined): number {
    const tailCount = tail === undefined ? 0 : tail.length / 2;
    if (this.deadCount === 0) return end - start + tailCount;
    let hits = 0;
    for (let i = start; i < end; i += 1) hits += this.alive[this.packed.docs[i]!]!;
    for (let i = 0; i < 2 * tailCount; i += 2) hits += this.alive[tail![i]!]!;
    return hits;
  }

  private ensure(rowid: number): void {
    const size = rowid + 1;
    this.ownerOf = grow(this.ownerOf, size);
    this.tierOf = grow(this.tierOf, size);
    this.alive = grow(this.alive, size);
    this.lengths = grow(this.lengths, size);
    this.scores = grow(this.scores, size);
    this.touched = grow(this.touched, size);
  }

  private setRecord(rowid: number, owner: string, tier: MemoryTier): void {
    let id = this.owners.get(owner);
    if (id === undefined) this.owners.set(owner, (id = this.owners.size));
    this.ownerOf[rowid] = id;
    this.tierOf[rowid] = MEMORY_TIERS.indexOf(tier);
    this.alive[rowid] = 1;
    this.records += 1;
    if (rowid > this.seenRowid) this.seenRowid = rowid;
  }
}

function tierMask(tiers: readonly MemoryTier[]): number {
  let mask = 0;
  for (const tier of tiers) mask |= 1 << MEMORY_TIERS.indexOf(tier);
  return mask;
}

/** The k best (score, rowid) pairs: a min-heap whose root is the worst kept (lower score, or equal score and lower rowid). */
class TopK {
  private readonly rowids: number[] = [];
  private readonly scores: number[] = [];

  constructor(private readonly k: number) {}

  offer(rowid: number, score: number): void {
    if (this.k <= 0) return;
    if (this.rowids.length < this.k) {
      this.rowids.push(rowid);
      this.scores.push(score);
      this.up(this.rowids.length - 1);
    } else if (this.worse(0, score, rowid)) {
      this.rowids[0] = rowid;
      this.scores[0] = score;
      this.down(0);
    }
  }

  sorted(): LexicalHit[] {
    return this.rowids.map((rowid, i) => ({ rowid, score: this.scores[i]! })).sort((a, b) => b.score - a.score || b.rowid - a.rowid);
  }

  /** Whether entry i ranks below (score, rowid). */
  private worse(i: number, score: number, rowid: number): boolean {
    const s = this.scores[i]!;
    return s < score || (s === score && this.rowids[i]! < rowid);
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.worse(i, this.scores[parent]!, this.rowids[parent]!)) return;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    const n = this.rowids.length;
    for (;;) {
      let least = i;
      for (const child of [2 * i + 1, 2 * i + 2]) if (child < n && this.worse(child, this.scores[least]!, this.rowids[least]!)) least = child;
      if (least === i) return;
      this.swap(i, least);
      i = least;
    }
  }

  private swap(a: number, b: number): void {
    [this.rowids[a], this.rowids[b]] = [this.rowids[b]!, this.rowids[a]!];
    [this.scores[a], this.scores[b]] = [this.scores[b]!, this.scores[a]!];
  }
}
