/**
 * The in-process vector index of memory search (docs/memory.md, "The search index").
 *
 * One segment (segment.ts) per (owner, tier): 8-bit embeddings, dimension-major, in rowid order.
 * Search is a scan over the query's non-zero components (the local embedder's queries have a few
 * dozen of 256; a model's dense query reads every column in the same loop), into one score array,
 * and a bounded min-heap keeps the top k.
 *
 * Consistency with SQLite (the source of truth):
 * - A segment is loaded the first time its (owner, tier) is searched: from its persisted file
 *   (index-file.ts) when the file matches the database, else built from `memory_records` and the
 *   file rewritten. Loaded segments are written back on `close()` when they changed.
 * - Inserts by anyone (memory_write, import, dispatch, repairs) are picked up before every
 *   search by reading the rows whose rowid is above the highest rowid seen (a primary-key range
 *   read; empty in the common case).
 * - Deletes and changes of `id`, `owner`, `tier` or `embedding` bump `memory_index_epoch.epoch`
 *   through triggers (migration 006). A search that sees another epoch than the one the index was
 *   built at drops every segment (reloaded lazily). The memory service's own deletes (purge,
 *   retention) are applied to the loaded segments directly (`applyDeletes`).
 * Records whose embedding has another length than the index's dimension (written by another
 * embedder) are kept as zero vectors: found by their words only; `skipped` counts them.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from '../core/index.js';
import type { Db } from '../store/index.js';
import type { MemoryTier } from '../protocol/index.js';
import { INDEX_FILE_FORMAT, loadSegmentFile, writeSegmentFile } from './index-file.js';
import { readEpoch, readMaxRowid } from './index-watermarks.js';
import { Segment, SegmentFileError } from './segment.js';

export { Segment, quantize } from './segment.js';

export interface VectorHit {
  rowid: number;
  tier: MemoryTier;
  /** Cosine similarity with the query. */
  score: number;
}

export interface IndexedRecord {
  rowid: number;
  owner: string;
  tier: MemoryTier;
}

/** Records a loaded index file is cross-checked on (see `samplesMatch`). */
const SAMPLES = 32;

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

export interface MemoryIndexOptions {
  /** Where segment files are kept; absent: nothing is persisted. */
  dir?: string | undefined;
  /** The embedder id recorded in segment files. */
  embedder: string;
}

interface Loaded {
  segment: Segment;
  owner: string;
  tier: MemoryTier;
  /** Changed since it was last written to its file. */
  dirty: boolean;
}

export class MemoryIndex {
  private readonly segments = new Map<string, Loaded>();
  /** The epoch the loaded segments reflect; null: nothing synced yet. */
  private epoch: number | null = null;
  private seenRowid = 0;
  private scratch = new Float32Array(64);
  private nonceValue: string | null = null;
  /** Records indexed as zero vectors because their embedding has another dimension. */
  skipped = 0;
  /** How the segments searched so far were loaded (for tests and the bench). */
  readonly loads = { file: 0, built: 0 };

  constructor(
    private readonly db: Db,
    readonly dims: number,
    private readonly options: MemoryIndexOptions = { embedder: 'unknown' },
  ) {}

  readEpoch(): number {
    return readEpoch(this.db);
  }

  readMaxRowid(): number {
    return readMaxRowid(this.db);
  }

  private nonce(): string {
    this.nonceValue ??= (this.db.prepare('SELECT nonce FROM memory_index_meta WHERE id = 1').get() as { nonce: string }).nonce;
    return this.nonceValue;
  }

  /** Loaded segments, the live records they hold and their bytes (for tests, diagnostics, the bench). */
  stats(): { segments: number; records: number; bytes: number; epoch: number | null } {
    let records = 0;
    let bytes = 0;
    for (const { segment } of this.segments.values()) {
      records += segment.size;
      bytes += segment.bytes;
    }
    return { segments: this.segments.size, records, bytes, epoch: this.epoch };
  }

  /** Drops every segment; the next search reloads what it needs. */
  invalidate(): void {
    this.segments.clear();
    this.epoch = null;
  }

  /** Brings the loaded segments up to date with SQLite (see the file comment). */
  sync(): void {
    const epoch = this.readEpoch();
    if (epoch !== this.epoch || this.segments.size === 0) {
      this.segments.clear();
      this.epoch = epoch;
      this.seenRowid = this.readMaxRowid();
      return;
    }
    const rows = this.db
      .prepare('SELECT rowid AS r, owner, tier, embedding FROM memory_records WHERE rowid > ? ORDER BY rowid')
      .raw()
      .iterate(this.seenRowid) as IterableIterator<[number, string, string, Buffer]>;
    for (const [rowid, owner, tier, blob] of rows) {
      if (rowid > this.seenRowid) this.seenRowid = rowid;
      const key = segmentKey(owner, tier);
      const loaded = this.segments.get(key);
      if (!loaded) continue;
      try {
        this.addRow(loaded.segment, rowid, blob);
        loaded.dirty = true;
      } catch (error) {
        if (!(error instanceof SegmentFileError)) throw error;
        this.segments.delete(key); // reloaded from SQLite when next searched
      }
    }
  }

  private addRow(segment: Segment, rowid: number, blob: Buffer): void {
    const vector = floatView(blob, this.dims);
    if (!vector) this.skipped += 1;
    segment.add(rowid, vector);
  }

  private fileOf(owner: string, tier: string): string | null {
    return this.options.dir ? join(this.options.dir, `${sha256Hex(`${owner}\n${tier}`).slice(0, 32)}.seg`) : null;
  }

  /** The segment of (owner, tier), loaded from its file or built from SQLite. Call `sync` first. */
  segment(owner: string, tier: MemoryTier, options: { file?: boolean } = {}): Segment {
    const key = segmentKey(owner, tier);
    const loaded = this.segments.get(key);
    if (loaded) return loaded.segment;
    const fromFile = options.file === false ? null : this.loadFile(owner, tier);
    if (fromFile) {
      this.segments.set(key, { segment: fromFile, owner, tier, dirty: false });
      this.loads.file += 1;
      return fromFile;
    }
    const { n } = this.db.prepare('SELECT count(*) AS n FROM memory_records WHERE owner = ? AND tier = ?').get(owner, tier) as { n: number };
    const segment = new Segment(this.dims, n + (n >> 3));
    const rows = this.db
      .prepare('SELECT rowid, embedding FROM memory_records WHERE owner = ? AND tier = ? AND rowid <= ? ORDER BY rowid')
      .raw()
      .iterate(owner, tier, this.seenRowid) as IterableIterator<[number, Buffer]>;
    for (const [rowid, blob] of rows) this.addRow(segment, rowid, blob);
    const entry = { segment, owner, tier, dirty: true };
    this.segments.set(key, entry);
    this.loads.built += 1;
    this.persist(entry);
    return segment;
  }

  /** A segment from its file when the file matches the database (see index-file.ts), caught up to `seenRowid`. */
  private loadFile(owner: string, tier: MemoryTier): Segment | null {
    const path = this.fileOf(owner, tier);
    if (!path) return null;
    const loaded = loadSegmentFile(
      path,
      (header) =>
        header.format === INDEX_FILE_FORMAT &&
        header.nonce === this.nonce() &&
        header.epoch === this.epoch &&
        header.embedder === this.options.embedder &&
        header.dims === this.dims &&
        header.owner === owner &&
        header.tier === tier &&
        header.seen_rowid <= this.seenRowid,
    );
    if (!loaded) return null;
    const { segment, header } = loaded;
    if (!this.samplesMatch(segment, owner, tier)) return null;
    const tail = this.db
      // `+owner`: walk the rowid range (the tail is short), never the owner index.
      .prepare('SELECT rowid, embedding FROM memory_records WHERE rowid > ? AND rowid <= ? AND +owner = ? AND +tier = ? ORDER BY rowid')
      .raw()
      .iterate(header.seen_rowid, this.seenRowid, owner, tier) as IterableIterator<[number, Buffer]>;
    for (const [rowid, blob] of tail) this.addRow(segment, rowid, blob);
    return segment;
  }

  /**
   * A cheap cross-check of a file that passed the header checks (the nonce and epoch are what
   * make it trustworthy: any delete or change moves the epoch): SAMPLES records spread over the
   * segment, and its last one, exist in SQLite with this owner and tier.
   */
  private samplesMatch(segment: Segment, owner: string, tier: MemoryTier): boolean {
    const check = this.db.prepare('SELECT owner, tier FROM memory_records WHERE rowid = ?');
    const positions = new Set<number>();
    for (let s = 0; s < SAMPLES && segment.count > 0; s += 1) positions.add(Math.floor((s * segment.count) / SAMPLES));
    if (segment.count > 0) positions.add(segment.count - 1);
    for (const position of positions) {
      if (segment.scales[position] === -1) continue;
      const row = check.get(segment.rowids[position]) as { owner: string; tier: string } | undefined;
      if (!row || row.owner !== owner || row.tier !== tier) return false;
    }
    return true;
  }

  /**
   * `use(segment)` on the segment of (owner, tier); when a column of its file cannot be read (the
   * file went away or shrank), the segment is rebuilt from SQLite and `use` runs again.
   */
  private withSegment<T>(owner: string, tier: MemoryTier, use: (segment: Segment) => T): T {
    try {
      return use(this.segment(owner, tier));
    } catch (error) {
      if (!(error instanceof SegmentFileError)) throw error;
      this.segments.delete(segmentKey(owner, tier));
      return use(this.segment(owner, tier, { file: false }));
    }
  }

  private persist(entry: Loaded): void {
    const path = this.fileOf(entry.owner, entry.tier);
    if (!path || this.epoch === null || !entry.segment.complete()) return;
    mkdirSync(this.options.dir!, { recursive: true, mode: 0o700 });
    writeSegmentFile(
      path,
      { nonce: this.nonce(), epoch: this.epoch, seen_rowid: this.seenRowid, embedder: this.options.embedder, owner: entry.owner, tier: entry.tier },
      entry.segment,
    );
    entry.dirty = false;
  }

  /** Writes every changed segment to its file (the daemon calls it on stop). */
  flush(): void {
    if (this.epoch === null || this.epoch !== this.readEpoch()) return;
    for (const entry of this.segments.values()) if (entry.dirty) this.persist(entry);
  }

  /**
   * The `k` records of `owner` in `tiers` most similar to `query` (an L2-normalised vector of
   * this index's dimension), with a similarity > 0, best first. Call `sync` first.
   */
  searchVector(owner: string, tiers: readonly MemoryTier[], query: { indices: Int32Array; values: Float32Array }, k: number): VectorHit[] {
    if (query.indices.length === 0 || k <= 0) return [];
    const hits: Array<VectorHit & { position: number }> = [];
    for (const tier of tiers) {
      const best = this.withSegment(owner, tier, (segment) => {
        if (segment.count === 0) return [];
        if (this.scratch.length < segment.count) this.scratch = new Float32Array(Math.max(segment.capacity, this.scratch.length * 2));
        segment.scoreInto(query.indices, query.values, this.scratch);
        return topK(this.scratch, segment.count, k, 0).map(({ position, score }) => ({ rowid: segment.rowids[position]!, tier, score, position }));
      });
      hits.push(...best);
    }
    hits.sort((a, b) => b.score - a.score || b.position - a.position);
    return hits.slice(0, k).map(({ rowid, tier, score }) => ({ rowid, tier, score }));
  }

  /** The tier and similarity of one of `owner`'s records in `tiers`, or null when it is not one of them. */
  lookup(owner: string, tiers: readonly MemoryTier[], rowid: number, query: { indices: Int32Array; values: Float32Array }): { tier: MemoryTier; score: number } | null {
    for (const tier of tiers) {
      const found = this.withSegment(owner, tier, (segment) => {
        const position = segment.find(rowid);
        return position === -1 ? null : { tier, score: segment.scoreOne(position, query.indices, query.values) };
      });
      if (found) return found;
    }
    return null;
  }

  /**
   * Applies the memory service's own deletes to the loaded segments. `epochAfter` and
   * `rowidAfter` are read inside the deleting transaction, after the deletes; `sync()` ran at its
   * start. When the epoch moved by anything but these deletes, everything is reloaded lazily.
   */
  applyDeletes(removed: readonly IndexedRecord[], epochBefore: number, epochAfter: number, rowidAfter: number): void {
    if (this.epoch !== epochBefore || epochAfter !== epochBefore + removed.length) {
      this.invalidate();
      return;
    }
    for (const record of removed) {
      const key = segmentKey(record.owner, record.tier);
      const entry = this.segments.get(key);
      try {
        if (entry?.segment.remove(record.rowid)) entry.dirty = true;
      } catch (error) {
        if (!(error instanceof SegmentFileError)) throw error;
        this.segments.delete(key); // reloaded from SQLite when next searched
      }
    }
    this.epoch = epochAfter;
    // A delete may free the highest rowid for reuse: catch up from the current maximum.
    this.seenRowid = rowidAfter;
  }
}
