/**
 * One segment of the memory search index: every embedding of one (owner, tier), 8 bits per
 * component, in ONE contiguous Int8Array laid out dimension-major (component j of the record at
 * position i is `cols[j * capacity + i]`), with a Float32 scale per record:
 *
 *   vector_i ≈ scale_i · cols[·][i]
 *
 * Quantisation (`quantize`): when every component is a whole multiple (at most 127) of one unit
 * (every vector of the local hashing embedder, whose components are feature counts over the
 * norm), it is stored exactly; otherwise each component is rounded to 1/127 of
 * the largest one (at most 0.4% of that component's size off). At 1,000,000 records of 256
 * dimensions a segment holds 256 MB of components, a quarter of Float32.
 *
 * Records stay in rowid order (SQLite's rowid of `memory_records`), so a rowid is found by
 * binary search; a removed record is marked dead (scale 0) and the dead are squeezed out when
 * they reach a quarter of the segment.
 */
const MIN_CAPACITY = 64;

/**
 * The unit u (a fraction min/d, d = 1..8, of the smallest non-zero component) of which every
 * component is a whole multiple of at most 127, or null: the vector is then not exactly 8-bit.
 */
function exactStep(vector: Float32Array, min: number, max: number): number | null {
  for (let d = 1; d <= 8; d += 1) {
    const unit = min / d;
    if (max / unit > 127.5) return null;
    let whole = true;
    for (const v of vector) {
      const r = v / unit;
      if (Math.abs(r - Math.round(r)) > 1e-3) {
        whole = false;
        break;
      }
    }
    if (whole) return unit;
  }
  return null;
}

/** The 8-bit form of a vector: `vector ≈ scale · q`. A zero vector has scale 0. */
export function quantize(vector: Float32Array, q: Int8Array): number {
  let max = 0;
  let min = Infinity;
  for (const v of vector) {
    const a = Math.abs(v);
    if (a > max) max = a;
    if (a > 0 && a < min) min = a;
  }
  if (max === 0) {
    q.fill(0);
    return 0;
  }
  const step = exactStep(vector, min, max) ?? max / 127;
  for (let j = 0; j < vector.length; j += 1) q[j] = Math.round((vector[j] as number) / step);
  return step;
}

/** Fills column `j` (its first `count` positions) of a segment loaded from a file; false when it cannot. */
export type ColumnLoader = (j: number, into: Int8Array) => boolean;

export class Segment {
  /** Positions in use (dead ones included). */
  count = 0;
  /**
   * A segment read from a file gets its columns on first use (index-file.ts): `pending[j]` = 1
   * while column j is still in the file. Null: every column is in memory.
   */
  private pending: Uint8Array | null = null;
  private loader: ColumnLoader | null = null;
  /** Positions the file holds: a column read fills these and never the records added since. */
  private fileCount = 0;
  dead = 0;
  capacity: number;
  cols: Int8Array;
  scales: Float32Array;
  rowids: Float64Array;
  private readonly q: Int8Array;

  constructor(
    readonly dims: number,
    capacity = MIN_CAPACITY,
  ) {
    this.capacity = Math.max(MIN_CAPACITY, capacity);
    this.cols = new Int8Array(dims * this.capacity);
    this.scales = new Float32Array(this.capacity);
    this.rowids = new Float64Array(this.capacity);
    this.q = new Int8Array(dims);
  }

  /** Columns still to be read from the file, read on first use. */
  setPending(loader: ColumnLoader): void {
    this.pending = new Uint8Array(this.dims).fill(1);
    this.loader = loader;
    this.fileCount = this.count;
  }

  /** Reads the pending columns among `indices` (all of them when absent); false when the file failed. */
  ensureColumns(indices?: Int32Array): boolean {
    const pending = this.pending;
    if (!pending) return true;
    const wanted = indices ?? Int32Array.from({ length: this.dims }, (_, j) => j);
    for (const j of wanted) {
      if (pending[j] === 0) continue;
      if (!this.loader!(j, this.cols.subarray(j * this.capacity, j * this.capacity + this.fileCount))) return false;
      pending[j] = 0;
    }
    if (indices === undefined || pending.every((p) => p === 0)) {
      this.pending = null;
      this.loader = null;
    }
    return true;
  }

  /** Reads every pending column; a file that fails makes the segment unusable (SegmentFileError). */
  private ensureAll(): void {
    if (!this.ensureColumns()) throw new SegmentFileError();
  }

  /** Live records. */
  get size(): number {
    return this.count - this.dead;
  }

  /** Bytes held by the typed arrays. */
  get bytes(): number {
    return this.cols.byteLength + this.scales.byteLength + this.rowids.byteLength;
  }

  /** The position of a live record, or -1. */
  find(rowid: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.rowids[mid]! <= rowid) lo = mid + 1;
      else hi = mid;
    }
    // lo: the first position after `rowid`; a rowid SQLite reused sits after its dead namesake.
    for (let p = lo - 1; p >= 0 && this.rowids[p] === rowid; p -= 1) if (this.scales[p] !== -1) return p;
    return -1;
  }

  /**
   * Appends a record; rowids arrive in increasing order (a rowid at or below the last one is
   * ignored unless the last one is dead, which is how SQLite reuses a deleted maximum).
   * `vector` null: a record without a usable embedding, found only by its words.
   */
  add(rowid: number, vector: Float32Array | null): void {
    if (this.count > 0) {
      const last = this.rowids[this.count - 1]!;
      if (rowid < last || (rowid === last && this.find(rowid) !== -1)) return;
    }
    if (this.count === this.capacity) this.resize(this.capacity * 2);
    const position = this.count;
    const { cols, capacity, dims, q } = this;
    const scale = vector ? quantize(vector, q) : 0;
    if (vector) for (let j = 0; j < dims; j += 1) cols[j * capacity + position] = q[j]!;
    else for (let j = 0; j < dims; j += 1) cols[j * capacity + position] = 0;
    this.scales[position] = scale;
    this.rowids[position] = rowid;
    this.count += 1;
  }

  /** Marks a record dead (scale -1, never scored above 0); squeezes the dead out at 25%. */
  remove(rowid: number): boolean {
    const position = this.find(rowid);
    if (position === -1) return false;
    this.ensureAll();
    this.scales[position] = -1;
    for (let j = 0; j < this.dims; j += 1) this.cols[j * this.capacity + position] = 0;
    this.dead += 1;
    if (this.dead * 4 > this.count) this.squeeze();
    return true;
  }

  private squeeze(): void {
    this.ensureAll();
    const keep: number[] = [];
    for (let p = 0; p < this.count; p += 1) if (this.scales[p] !== -1) keep.push(p);
    const capacity = Math.max(MIN_CAPACITY, keep.length + (keep.length >> 3));
    const cols = new Int8Array(this.dims * capacity);
    for (let j = 0; j < this.dims; j += 1) {
      const from = j * this.capacity;
      const to = j * capacity;
      for (let k = 0; k < keep.length; k += 1) cols[to + k] = this.cols[from + keep[k]!]!;
    }
    const scales = new Float32Array(capacity);
    const rowids = new Float64Array(capacity);
    keep.forEach((p, k) => {
      scales[k] = this.scales[p]!;
      rowids[k] = this.rowids[p]!;
    });
    Object.assign(this, { cols, scales, rowids, capacity, count: keep.length, dead: 0 });
  }

  private resize(capacity: number): void {
    this.ensureAll();
    const next = new Int8Array(this.dims * capacity);
    for (let j = 0; j < this.dims; j += 1) next.set(this.cols.subarray(j * this.capacity, j * this.capacity + this.count), j * capacity);
    const scales = new Float32Array(capacity);
    scales.set(this.scales.subarray(0, this.count));
    const rowids = new Float64Array(capacity);
    rowids.set(this.rowids.subarray(0, this.count));
    Object.assign(this, { cols: next, scales, rowids, capacity });
  }

  /** Every column in memory, for writing the segment out. */
  complete(): boolean {
    return this.ensureColumns();
  }

  /** Replaces the arrays with ones read from a file (see index-file.ts). */
  adopt(parts: { count: number; capacity: number; cols: Int8Array; scales: Float32Array; rowids: Float64Array }): void {
    let dead = 0;
    for (let p = 0; p < parts.count; p += 1) if (parts.scales[p] === -1) dead += 1;
    Object.assign(this, { ...parts, dead });
  }

  /**
   * `scores[i]` = dot(query, record i) for i < count, where the query is given by its non-zero
   * components (`indices`, `values`). Four columns per pass over the score array; the first pass
   * writes the scores (no separate clearing pass) and the last one applies the scales (no
   * separate scaling pass). A group of fewer than four repeats its first column with weight 0.
   */
  scoreInto(indices: Int32Array, values: Float32Array, scores: Float32Array): void {
    if (!this.ensureColumns(indices)) throw new SegmentFileError();
    const n = this.count;
    const cap = this.capacity;
    const cols = this.cols;
    const scales = this.scales;
    const m = indices.length;
    if (m === 0) {
      scores.fill(0, 0, n);
      return;
    }
    for (let k = 0; k < m; k += 4) {
      const o0 = indices[k]! * cap;
      const o1 = k + 1 < m ? indices[k + 1]! * cap : o0;
      const o2 = k + 2 < m ? indices[k + 2]! * cap : o0;
      const o3 = k + 3 < m ? indices[k + 3]! * cap : o0;
      const v0 = values[k]!;
      const v1 = k + 1 < m ? values[k + 1]! : 0;
      const v2 = k + 2 < m ? values[k + 2]! : 0;
      const v3 = k + 3 < m ? values[k + 3]! : 0;
      const first = k === 0;
      const last = k + 4 >= m;
      if (first && last) {
        for (let i = 0; i < n; i += 1) scores[i] = (cols[o0 + i]! * v0 + cols[o1 + i]! * v1 + cols[o2 + i]! * v2 + cols[o3 + i]! * v3) * scales[i]!;
      } else if (first) {
        for (let i = 0; i < n; i += 1) scores[i] = cols[o0 + i]! * v0 + cols[o1 + i]! * v1 + cols[o2 + i]! * v2 + cols[o3 + i]! * v3;
      } else if (last) {
        for (let i = 0; i < n; i += 1) scores[i] = (scores[i]! + cols[o0 + i]! * v0 + cols[o1 + i]! * v1 + cols[o2 + i]! * v2 + cols[o3 + i]! * v3) * scales[i]!;
      } else {
        for (let i = 0; i < n; i += 1) scores[i] = scores[i]! + cols[o0 + i]! * v0 + cols[o1 + i]! * v1 + cols[o2 + i]! * v2 + cols[o3 + i]! * v3;
      }
    }
  }

  /** dot(query, record at `position`): what `scoreInto` gives it, up to Float32 rounding. */
  scoreOne(position: number, indices: Int32Array, values: Float32Array): number {
    if (!this.ensureColumns(indices)) throw new SegmentFileError();
    const cap = this.capacity;
    let s = 0;
    for (let k = 0; k < indices.length; k += 1) s += this.cols[indices[k]! * cap + position]! * values[k]!;
    return s * this.scales[position]!;
  }
}

/** A column of a segment could not be read from its file: the index rebuilds the segment. */
export class SegmentFileError extends Error {
  constructor() {
    super('a search-index file could not be read');
  }
}
