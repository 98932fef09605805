/**
 * Reads the header and metadata of a GGUF file (no tensors), enough to tell a model file from a
 * truncated or foreign one before a child process tries to load it, and for `npm run models`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export interface GgufInfo {
  version: number;
  tensorCount: number;
  bytes: number;
  /** Scalars as they are; arrays as their length (`{ array: n }`). */
  metadata: Record<string, string | number | boolean | bigint | { array: number }>;
}

/** Refuses metadata bigger than this (a real model's is a few MB: mostly its vocabulary). */
const MAX_METADATA_BYTES = 64 * 1024 * 1024;

class Truncated extends Error {}

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  need(n: number): void {
    if (this.pos + n > this.buf.length) throw new Truncated();
  }
  u8(): number {
    this.need(1);
    return this.buf.readUInt8(this.pos++);
  }
  u32(): number {
    this.need(4);
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.buf.readBigUInt64LE(this.pos);
    this.pos += 8;
    return v;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
  str(): string {
    const n = Number(this.u64());
    this.need(n);
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  scalar(type: number): string | number | boolean | bigint {
    switch (type) {
      case 0: return this.u8();
      case 1: this.need(1); return this.buf.readInt8(this.pos++);
      case 2: this.need(2); this.pos += 2; return this.buf.readUInt16LE(this.pos - 2);
      case 3: this.need(2); this.pos += 2; return this.buf.readInt16LE(this.pos - 2);
      case 4: return this.u32();
      case 5: this.need(4); this.pos += 4; return this.buf.readInt32LE(this.pos - 4);
      case 6: this.need(4); this.pos += 4; return this.buf.readFloatLE(this.pos - 4);
      case 7: return this.u8() !== 0;
      case 8: return this.str();
      case 10: return this.u64();
      case 11: this.need(8); this.pos += 8; return this.buf.readBigInt64LE(this.pos - 8);
      case 12: this.need(8); this.pos += 8; return this.buf.readDoubleLE(this.pos - 8);
      default: throw new Error(`unknown metadata value type ${type}`);
    }
  }
}

/** The file's header and metadata, or why it is not a usable GGUF file. */
export function readGguf(path: string): { ok: true; info: GgufInfo } | { ok: false; problem: string } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    return { ok: false, problem: (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})` };
  }
  try {
    const bytes = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(bytes, MAX_METADATA_BYTES));
    readSync(fd, buf, 0, buf.length, 0);
    if (buf.length < 4 || buf.toString('latin1', 0, 4) !== 'GGUF') return { ok: false, problem: 'not a GGUF file (no GGUF magic)' };
    const r = new Reader(buf);
    r.skip(4);
    const version = r.u32();
    if (version < 2 || version > 3) return { ok: false, problem: `GGUF version ${version} is not supported (2 or 3)` };
    const tensorCount = Number(r.u64());
    const kvCount = Number(r.u64());
    const metadata: GgufInfo['metadata'] = {};
    for (let i = 0; i < kvCount; i += 1) {
      const key = r.str();
      const type = r.u32();
      if (type === 9) {
        const itemType = r.u32();
        const n = Number(r.u64());
        for (let j = 0; j < n; j += 1) r.scalar(itemType);
        metadata[key] = { array: n };
      } else {
        metadata[key] = r.scalar(type);
      }
    }
    for (let i = 0; i < tensorCount; i += 1) {
      r.str();
      const dims = r.u32();
      r.skip(8 * dims + 4 + 8);
    }
    return { ok: true, info: { version, tensorCount, bytes, metadata } };
  } catch (error) {
    if (error instanceof Truncated) return { ok: false, problem: 'truncated (its header ends early)' };
    return { ok: false, problem: (error as Error).message };
  } finally {
    closeSync(fd);
  }
}
