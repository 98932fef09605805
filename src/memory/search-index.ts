/**
 * The in-process memory search index (docs/memory.md, "The search index").
 *
 * One segment per (owner, tier): every embedding of that owner and tier in ONE contiguous
 * Float32Array, laid out dimension-major (column j of the segment holds component j of every
 * record, at `cols[j * capacity + position]`). Search is exact — cosine similarity against every
 * record of the segment, the same numbers a brute-force scan gives — but the loop runs over the
 * query's non-zero components only, eight columns at a time, accumulating into one score array:
 *
 *   scores[i] = Σ_j q_j · cols[j][i]            (embeddings are L2-normalised: dot = cosine)
 *
 * The default local embedder hashes words into a 256-dimensional vector, so a query of a few
 * words has a few dozen non-zero components and the scan reads only those columns. A dense query
 * (a model embedding) reads them all, still eight columns per pass. A bounded min-heap keeps the
 * top k.
 *
 * Consistency with SQLite (the source of truth):
 * - Segments are built lazily, from `memory_records`, the first time an (owner, tier) is searched.
 * - Inserts by anyone (memory_write, the dispatch pipeline, repairs) are picked up before every
 *   search by reading the rows whose rowid is above the highest rowid seen (a primary-key range
 *   read; empty in the common case).
 * - Deletes and changes of `id`, `owner`, `tier` or `embedding` bump `memory_index_epoch.epoch`
 *   through triggers (migration 006). A search that sees another epoch than the one the index was
 *   built at drops every segment (they are rebuilt lazily). The memory service's own deletes
 *   (purge, retention) are applied to the loaded segments directly (`applyDeletes`), so a purge
 *   does not force a rebuild.
 * Records whose embedding has another length than the index's dimension (written by another
 * embedder) are not searchable until re-embedded; `skipped` counts them.
 */
import type { Db } from '../store/index.js';
import type { MemoryTier } from '../protocol/index.js';

export interface IndexHit {
  id: string;
  tier: MemoryTier;
  /** Cosine similarity, rounded to 6 decimals. */
  relevance: number;
}

export interface IndexedRecord {
  owner: string;
  tier: MemoryTier;
  id: string;
}

const MIN_CAPACITY = 64;

export function round6(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function segmentKey(owner: string, tier: string): string {
  return `${owner}\u0000${tier}`;
}

/** A Float32 view of an embedding blob (no copy when the bytes are 4-byte aligned). */
function floatView(blob: Uint8Array, dims: number): Float32Array | null {
  if (blob.byteLength !== dims * 4) return null;
  if (blob.byteOffset % 4 === 0) return new Float32Array(blob.buffer, blob.byteOffset, dims);
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}

/** Every embedding of one (owner, tier), dimension-major in one Float32Array. */
export class Segment {
  count = 0;
  capacity: number;
  cols: Float32Array;
  readonly ids: string[] = [];
  private readonly positions = new Map<string, number>();

  constructor(
    readonly dims: number,
    capacity = MIN_CAPACITY,
  ) {
    this.capacity = Math.max(MIN_CAPACITY, capacity);
    this.cols = new Float32Array(dims * this.capacity);
  }

  has(id: string): boolean {
    return this.positions.has(id);
  }

  /** Appends one record (a second add of the same id is ignored). */
  add(id: string, vector: Float32Array): void {
    if (this.positions.has(id)) return;
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    const position = this.count;
    const { cols, capacity, dims } = this;
    for (let j = 0; j < dims; j += 1) cols[j * capacity + position] = vector[j] as number;
    this.ids[position] = id;
    this.positions.set(id, position);
    this.count += 1;
  }

  /** Removes one record by moving the last one into its place. */
  remove(id: string): boolean {
    const position = this.positions.get(id);
    if (position === undefined) return false;
    const last = this.count - 1;
    const { cols, capacity, dims } = this;
    if (position !== last) {
      for (let j = 0; j < dims; j += 1) cols[j * capacity + position] = cols[j * capacity + last] as number;
      const moved = this.ids[last]!;
      this.ids[position] = moved;
      this.positions.set(moved, position);
    }
    this.ids.length = last;
    this.positions.delete(id);
    this.count = last;
    if (this.capacity > MIN_CAPACITY && this.count < this.capacity / 4) this.resize(Math.max(MIN_CAPACITY, this.count * 2));
    return true;
  }

  private resize(capacity: number): void {
    const next = new Float32Array(this.dims * capacity);
    for (let j = 0; j < this.dims; j += 1) {
      next.set(this.cols.subarray(j * this.capacity, j * this.capacity + this.count), j * capacity);
    }
    this.cols = next;
    this.capacity = capacity;
  }

  /**
   * `scores[i]` = dot(query, record i) for i < count, where the query is given by its non-zero
   * components (`indices`, `values`). Eight columns per pass over the score array.
   */
  scoreInto(indices: Int32Array, values: Float32Array, scores: Float32Array): void {
    const n = this.count;
    const cap = this.capacity;
    const cols = this.cols;
    scores.fill(0, 0, n);
    const m = indices.length;
    let k = 0;
    for (; k + 8 <= m; k += 8) {
      const o0 = indices[k]! * cap;
      const o1 = indices[k + 1]! * cap;
      const o2 = indices[k + 2]! * cap;
      const o3 = indices[k + 3]! * cap;
      const o4 = indices[k + 4]! * cap;
      const o5 = indices[k + 5]! * cap;
      const o6 = indices[k + 6]! * cap;
      const o7 = indices[k + 7]! * cap;
      const v0 = values[k]!;
      const v1 = values[k + 1]!;
      const v2 = values[k + 2]!;
      const v3 = values[k + 3]!;
      const v4 = values[k + 4]!;
      const v5 = values[k + 5]!;
      const v6 = values[k + 6]!;
      const v7 = values[k + 7]!;
      for (let i = 0; i < n; i += 1) {
        scores[i] =
          scores[i]! +
          cols[o0 + i]! * v0 +
          cols[o1 + i]! * v1 +
          cols[o2 + i]! * v2 +
          cols[o3 + i]! * v3 +
          cols[o4 + i]! * v4 +
          cols[o5 + i]! * v5 +
          cols[o6 + i]! * v6 +
          cols[o7 + i]! * v7;
      }
    }
    for (; k + 4 <= m; k += 4) {
      const o0 = indices[k]! * cap;
      const o1 = indices[k + 1]! * cap;
      const o2 = indices[k + 2]! * cap;
      const o3 = indices[k + 3]! * cap;
      const v0 = values[k]!;
      const v1 = values[k + 1]!;
      const v2 = values[k + 2]!;
      const v3 = values[k + 3]!;
      for (let i = 0; i < n; i += 1) {
        scores[i] = scores[i]! + cols[o0 + i]! * v0 + cols[o1 + i]! * v1 + cols[o2 + i]! * v2 + cols[o3 + i]! * v3;
      }
    }
    for (; k < m; k += 1) {
      const o = indices[k]! * cap;
      const v = values[k]!;
      for (let i = 0; i < n; i += 1) scores[i] = scores[i]! + cols[o + i]! * v;
    }
  }
}

/** The non-zero components of a query vector. */
export function sparseQuery(query: Float32Array): { indices: Int32Array; values: Float32Array } {
  let nonZero = 0;
  for (let j = 0; j < query.length; j += 1) if (query[j] !== 0) nonZero += 1;
  const indices = new Int32Array(nonZero);
  const values = new Float32Array(nonZero);
  let k = 0;
  for (let j = 0; j < query.length; j += 1) {
    const v = query[j]!;
    if (v !== 0) {
      indices[k] = j;
      values[k] = v;
      k += 1;
    }
  }
  return { indices, values };
}

/**
 * Positions of the `k` highest scores among `scores[0..n)` that are > 0 and >= `floor`, best
 * first (ties: the later position first). A bounded min-heap: O(n log k).
 */
export function topK(scores: Float32Array, n: number, k: number, floor: number): Array<{ position: number; score: number }> {
  if (k <= 0) return [];
  const heapScores = new Float64Array(k);
  const heapPositions = new Int32Array(k);
  let size = 0;
  // Compare before rounding with a little slack; the exact (rounded) check happens below.
  const threshold = Math.max(floor - 5e-7, Number.MIN_VALUE);
  const less = (a: number, b: number) =>
    heapScores[a]! < heapScores[b]! || (heapScores[a] === heapScores[b] && heapPositions[a]! < heapPositions[b]!);
  const swap = (a: number, b: number) => {
    const s = heapScores[a]!;
    heapScores[a] = heapScores[b]!;
    heapScores[b] = s;
    const p = heapPositions[a]!;
    heapPositions[a] = heapPositions[b]!;
    heapPositions[b] = p;
  };
  const siftDown = (start: number) => {
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let smallest = i;
      if (l < size && less(l, smallest)) smallest = l;
      if (r < size && less(r, smallest)) smallest = r;
      if (smallest === i) return;
      swap(i, smallest);
      i = smallest;
    }
  };
  for (let i = 0; i < n; i += 1) {
    const s = scores[i]!;
    if (s < threshold) continue;
    if (size < k) {
      heapScores[size] = s;
      heapPositions[size] = i;
      let c = size;
      size += 1;
      while (c > 0) {
        const parent = (c - 1) >> 1;
        if (!less(c, parent)) break;
        swap(c, parent);
        c = parent;
      }
    } else if (s > heapScores[0]! || (s === heapScores[0] && i > heapPositions[0]!)) {
      heapScores[0] = s;
      heapPositions[0] = i;
      siftDown(0);
    }
  }
  const out: Array<{ position: number; score: number }> = [];
  for (let i = 0; i < size; i += 1) {
    const score = heapScores[i]!;
    if (round6(score) >= floor && round6(score) > 0) out.push({ position: heapPositions[i]!, score });
  }
  out.sort((a, b) => b.score - a.score || b.position - a.position);
  return out;
}

export class MemoryIndex {
  private readonly segments = new Map<string, Segment>();
  /** The epoch the loaded segments reflect; null: nothing synced yet. */
  private epoch: number | null = null;
  private seenRowid = 0;
  private scratch = new Float32Array(MIN_CAPACITY);
  /** Records not indexed because their embedding has another dimension. */
  skipped = 0;

  constructor(
    private readonly db: Db,
    readonly dims: number,
  ) {}

  readEpoch(): number {
    const row = this.db.prepare('SELECT epoch FROM memory_index_epoch WHERE id = 1').get() as { epoch: number } | undefined;
    return row?.epoch ?? 0;
  }

  readMaxRowid(): number {
    return (this.db.prepare('SELECT coalesce(max(rowid), 0) AS m FROM memory_records').get() as { m: number }).m;
  }

  /** Loaded segment count and the records they hold (for tests and diagnostics). */
  stats(): { segments: number; records: number; epoch: number | null } {
    let records = 0;
    for (const segment of this.segments.values()) records += segment.count;
    return { segments: this.segments.size, records, epoch: this.epoch };
  }

  /** Drops every segment; the next search rebuilds what it needs. */
  invalidate(): void {
    this.segments.clear();
    this.epoch = null;
  }

  /** Brings the loaded segments up to date with SQLite (see the file comment). */
  sync(): void {
    const epoch = this.readEpoch();
    if (epoch !== this.epoch) {
      this.segments.clear();
      this.epoch = epoch;
      this.seenRowid = this.readMaxRowid();
      return;
    }
    if (this.segments.size === 0) {
      this.seenRowid = this.readMaxRowid();
      return;
    }
    const rows = this.db
      .prepare('SELECT rowid AS r, id, owner, tier, embedding FROM memory_records WHERE rowid > ? ORDER BY rowid')
      .iterate(this.seenRowid) as IterableIterator<{ r: number; id: string; owner: string; tier: string; embedding: Buffer }>;
    for (const row of rows) {
      if (row.r > this.seenRowid) this.seenRowid = row.r;
      const segment = this.segments.get(segmentKey(row.owner, row.tier));
      if (!segment) continue;
      const vector = floatView(row.embedding, this.dims);
      if (vector) segment.add(row.id, vector);
      else this.skipped += 1;
    }
  }

  /** The segment of (owner, tier), built from SQLite when it is not loaded. Call `sync` first. */
  segment(owner: string, tier: MemoryTier): Segment {
    const key = segmentKey(owner, tier);
    const loaded = this.segments.get(key);
    if (loaded) return loaded;
    const { n } = this.db.prepare('SELECT count(*) AS n FROM memory_records WHERE owner = ? AND tier = ?').get(owner, tier) as { n: number };
    const segment = new Segment(this.dims, n + (n >> 3));
    const rows = this.db
      .prepare('SELECT id, embedding FROM memory_records WHERE owner = ? AND tier = ? ORDER BY rowid')
      .raw()
      .iterate(owner, tier) as IterableIterator<[string, Buffer]>;
    for (const [id, blob] of rows) {
      const vector = floatView(blob, this.dims);
      if (vector) segment.add(id, vector);
      else this.skipped += 1;
    }
    this.segments.set(key, segment);
    return segment;
  }

  /**
   * The `k` records of `owner` in `tiers` most similar to `query` (an L2-normalised vector of
   * this index's dimension), with relevance > 0 and >= `minRelevance`, best first.
   */
  search(owner: string, tiers: readonly MemoryTier[], query: Float32Array, k: number, minRelevance = 0): IndexHit[] {
    if (query.length !== this.dims) throw new Error(`query has ${query.length} dimensions; the index has ${this.dims}`);
    this.sync();
    const { indices, values } = sparseQuery(query);
    if (indices.length === 0 || k <= 0) return [];
    const hits: Array<IndexHit & { score: number; position: number }> = [];
    for (const tier of tiers) {
      const segment = this.segment(owner, tier);
      if (segment.count === 0) continue;
      if (this.scratch.length < segment.count) this.scratch = new Float32Array(Math.max(segment.capacity, this.scratch.length * 2));
      segment.scoreInto(indices, values, this.scratch);
      for (const { position, score } of topK(this.scratch, segment.count, k, minRelevance)) {
        hits.push({ id: segment.ids[position]!, tier, relevance: round6(score), score, position });
      }
    }
    hits.sort((a, b) => b.score - a.score || b.position - a.position);
    return hits.slice(0, k).map(({ id, tier, relevance }) => ({ id, tier, relevance }));
  }

  /**
   * Applies the memory service's own deletes to the loaded segments. `epochAfter` and
   * `rowidAfter` are read inside the deleting transaction, after the deletes; `sync()` ran at its
   * start. When the epoch moved by anything but these deletes, everything is rebuilt lazily.
   */
  applyDeletes(removed: readonly IndexedRecord[], epochBefore: number, epochAfter: number, rowidAfter: number): void {
    if (this.epoch !== epochBefore || epochAfter !== epochBefore + removed.length) {
      this.invalidate();
      return;
    }
    for (const record of removed) this.segments.get(segmentKey(record.owner, record.tier))?.remove(record.id);
    this.epoch = epochAfter;
    // A delete may free the highest rowid for reuse: catch up from the current maximum.
    this.seenRowid = rowidAfter;
  }
}
