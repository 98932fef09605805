import { MAX_FRAME_BYTES } from '../protocol/constants.js';

const HEADER_BYTES = 4;

/** A message whose JSON is longer than the frame limit: it cannot be sent as one frame. */
export class FrameTooLargeError extends RangeError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
  ) {
    super(`frame of ${bytes} bytes exceeds the ${limit}-byte limit`);
    this.name = 'FrameTooLargeError';
  }
}

/** Throws FrameTooLargeError past the limit, and whatever JSON.stringify throws (a cycle, a BigInt). */
export function encodeFrame(message: unknown, limit = MAX_FRAME_BYTES): Buffer {
  const text = JSON.stringify(message);
  // Counted without encoding: an oversized text is refused before any buffer is allocated.
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limit) throw new FrameTooLargeError(bytes, limit);
  const frame = Buffer.allocUnsafe(HEADER_BYTES + bytes);
  frame.writeUInt32BE(bytes, 0);
  frame.write(text, HEADER_BYTES, 'utf8');
  return frame;
}

export type DecodedFrame =
  | { type: 'message'; value: unknown }
  /** The frame boundary is intact; the connection can go on. */
  | { type: 'invalid_json'; detail: string }
  /** The stream cannot be resynchronised; the connection must close. */
  | { type: 'too_large'; length: number; limit: number };

/**
 * Splits a byte stream into length-prefixed JSON frames (4-byte big-endian length, then
 * UTF-8 JSON). Chunks are kept in a list and joined once per frame. A length over
 * `maxFrameBytes` is refused from its header alone, so no more than one frame's worth under the
 * limit is ever held; the limit may change between frames (the server raises it once the peer
 * has authenticated).
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private broken = false;

  constructor(public maxFrameBytes = MAX_FRAME_BYTES) {}

  /** Adds bytes and returns every frame they complete. */
  push(chunk: Buffer): DecodedFrame[] {
    this.feed(chunk);
    const frames: DecodedFrame[] = [];
    for (let frame = this.next(); frame; frame = this.next()) frames.push(frame);
    return frames;
  }

  /** Adds bytes without decoding them; take frames one at a time with next(). */
  feed(chunk: Buffer): void {
    if (this.broken) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** The next complete frame under the current limit, or null when none is complete yet. */
  next(): DecodedFrame | null {
    if (this.broken || this.buffered < HEADER_BYTES) return null;
    const length = this.peekLength();
    if (length > this.maxFrameBytes) {
      this.discard();
      this.broken = true;
      return { type: 'too_large', length, limit: this.maxFrameBytes };
    }
    if (this.buffered < HEADER_BYTES + length) return null;
    const joined = this.take(HEADER_BYTES + length);
    return parseBody(joined.subarray(HEADER_BYTES));
  }

  /** Bytes held: a frame that has started but not finished (a client that hung up mid-frame). */
  get pendingBytes(): number {
    return this.buffered;
  }

  /** Drops everything held; later bytes are ignored (the connection is closing). */
  discard(): void {
    this.chunks = [];
    this.buffered = 0;
    this.broken = true;
  }

  private peekLength(): number {
    const first = this.chunks[0]!;
    if (first.length >= HEADER_BYTES) return first.readUInt32BE(0);
    const joined = Buffer.concat(this.chunks);
    this.chunks = [joined];
    return joined.readUInt32BE(0);
  }

  private take(count: number): Buffer {
    const joined = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const rest = joined.subarray(count);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return joined.subarray(0, count);
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseBody(body: Buffer): DecodedFrame {
  try {
    return { type: 'message', value: JSON.parse(utf8.decode(body)) };
  } catch (error) {
    return { type: 'invalid_json', detail: error instanceof Error ? error.message : String(error) };
  }
}
