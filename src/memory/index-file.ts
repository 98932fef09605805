/**
 * The persisted form of one search-index segment (docs/memory.md, "The search index"): so the
 * first search after a restart reads one file instead of re-reading every embedding from SQLite.
 *
 *   line 1: JSON header {format, nonce, epoch, seen_rowid, embedder, dims, owner, tier, count,
 *           capacity}, padded with spaces to a multiple of 8 bytes
 *   then:   the segment's own arrays, capacity long: rowids (Float64), scales (Float32),
 *           components (Int8 × dims, dimension-major); little-endian host order.
 *
 * The body is the segment's memory layout, so a column is one read straight into place, and a
 * column is read only when a search first needs it: a word query of the local embedder touches a
 * few dozen of 256 columns, so the first search after a restart reads a tenth of the file.
 *
 * A file is only a cache: it is used when its header matches the database (nonce, index epoch,
 * embedder, dimension; see MemoryIndex), else the segment is rebuilt from SQLite and the file
 * rewritten. Files are written to a temporary name, fsynced and renamed, mode 0600.
 */
import { closeSync, fstatSync, fsyncSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { Segment } from './segment.js';

export const INDEX_FILE_FORMAT = 3;

export interface SegmentHeader {
  format: number;
  nonce: string;
  epoch: number;
  seen_rowid: number;
  embedder: string;
  dims: number;
  owner: string;
  tier: string;
  count: number;
  capacity: number;
}

type HeaderFields = Omit<SegmentHeader, 'format' | 'count' | 'dims' | 'capacity'>;

function writeAll(fd: number, view: ArrayBufferView): void {
  const bytes = new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
  let offset = 0;
  while (offset < bytes.byteLength) offset += writeSync(fd, bytes, offset, bytes.byteLength - offset);
}

export function writeSegmentFile(path: string, fields: HeaderFields, segment: Segment): void {
  const { dims, count, capacity } = segment;
  const header: SegmentHeader = { format: INDEX_FILE_FORMAT, ...fields, dims, count, capacity };
  let line = JSON.stringify(header);
  line += ' '.repeat((8 - ((Buffer.byteLength(line) + 1) % 8)) % 8);
  const tmp = `${path}.${process.pid}.tmp`;
  const fd = openSync(tmp, 'w', 0o600);
  try {
    writeAll(fd, Buffer.from(`${line}\n`, 'utf8'));
    writeAll(fd, segment.rowids);
    writeAll(fd, segment.scales);
    writeAll(fd, segment.cols);
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(tmp, path);
}

function readAt(fd: number, into: Uint8Array, position: number): boolean {
  let done = 0;
  while (done < into.byteLength) {
    const n = readSync(fd, into, done, into.byteLength - done, position + done);
    if (n === 0) return false;
    done += n;
  }
  return true;
}

function bytesOf(view: ArrayBufferView): Uint8Array {
  return new Uint8Array(view.buffer, view.byteOffset, view.byteLength);
}

/**
 * The segment of a file whose header passes `accept`, or null (missing, unreadable, another
 * size than its header says, or not accepted). Rowids and scales are read now; each column of
 * components is read the first time a search needs it (Segment.ensureColumns), so the first
 * search after a restart reads the few columns a word query touches, not the whole file.
 */
export function loadSegmentFile(path: string, accept: (header: SegmentHeader) => boolean): { segment: Segment; header: SegmentHeader } | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(4096);
    const end = head.subarray(0, readSync(fd, head, 0, head.byteLength, 0)).indexOf(10);
    if (end < 0) return null;
    const header = JSON.parse(head.subarray(0, end).toString('utf8')) as SegmentHeader;
    const { count, dims, capacity } = header;
    const bodyOffset = end + 1;
    const consistent =
      Number.isSafeInteger(count) && Number.isSafeInteger(capacity) && Number.isSafeInteger(dims) && count >= 0 && count <= capacity && dims > 0;
    if (!consistent || !accept(header) || fstatSync(fd).size !== bodyOffset + capacity * (12 + dims)) return null;
    const rowids = new Float64Array(capacity);
    const scales = new Float32Array(capacity);
    if (!readAt(fd, bytesOf(rowids.subarray(0, count)), bodyOffset) || !readAt(fd, bytesOf(scales.subarray(0, count)), bodyOffset + capacity * 8)) return null;
    const segment = new Segment(dims, 0);
    segment.adopt({ count, capacity, cols: new Int8Array(dims * capacity), scales, rowids });
    const colsOffset = bodyOffset + capacity * 12;
    segment.setPending((j, into) => {
      let column: number;
      try {
        column = openSync(path, 'r');
      } catch {
        return false;
      }
      try {
        return readAt(column, new Uint8Array(into.buffer, into.byteOffset, into.byteLength), colsOffset + j * capacity);
      } finally {
        closeSync(column);
      }
    });
    return { segment, header };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
