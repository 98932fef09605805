export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
const HEADER_BYTES = 4;

export function encodeFrame(message: unknown): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > MAX_FRAME_BYTES) {
    throw new RangeError(`frame of ${body.length} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
  }
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

export type DecodedFrame =
  | { type: 'message'; value: unknown }
  /** The frame boundary is intact; the connection can go on. */
  | { type: 'invalid_json'; detail: string }
  /** The stream cannot be resynchronised; the connection must close. */
  | { type: 'too_large'; length: number };

/**
 * Splits a byte stream into length-prefixed JSON frames (4-byte big-endian length, then
 * UTF-8 JSON). Chunks are kept in a list and joined once per frame.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private broken = false;

  push(chunk: Buffer): DecodedFrame[] {
    if (this.broken) return [];
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    const frames: DecodedFrame[] = [];
    while (this.buffered >= HEADER_BYTES) {
      const length = this.peekLength();
      if (length > MAX_FRAME_BYTES) {
        this.broken = true;
        this.chunks = [];
        this.buffered = 0;
        frames.push({ type: 'too_large', length });
        break;
      }
      if (this.buffered < HEADER_BYTES + length) break;
      const joined = this.take(HEADER_BYTES + length);
      frames.push(parseBody(joined.subarray(HEADER_BYTES)));
    }
    return frames;
  }

  /** Bytes of a frame that has started but not finished (a client that hung up mid-frame). */
  get pendingBytes(): number {
    return this.buffered;
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
