/** Reads an HTTP body up to a cap (SPEC 16: 16 MiB); a larger body is refused, never buffered. */
import type { ReadableStream, ReadableStreamReadResult } from 'node:stream/web';
import { CovenantError } from '../core/index.js';

export const MAX_MODEL_BODY_BYTES = 16 * 1024 * 1024;

export async function readCappedBody(response: Response, cap: number, what: string): Promise<string> {
  const body = response.body as ReadableStream<Uint8Array> | null;
  if (body === null) return '';
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const next: ReadableStreamReadResult<Uint8Array> = await reader.read();
    if (next.done) break;
    const value = next.value;
    total += value.byteLength;
    if (total > cap) {
      await reader.cancel().catch(() => {});
      throw new CovenantError('E_MODEL_FAILED', `${what} answered more than ${cap} bytes; the answer was dropped`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}
