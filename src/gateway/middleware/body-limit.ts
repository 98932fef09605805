import type { Context } from 'hono';
import type { CovenantError } from '../../core/index.js';
import { refusalWith, type DaemonContext } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import { auditPath, httpSite, refuse } from '../errors.js';
import type { Gate } from './gates.js';

/**
 * Reads the request body, at most `maxBytes`, into the `body` variable; a larger body is
 * refused with 413 E_FRAME_TOO_LARGE (the IPC frame bound), audited as `frame_rejected` like
 * an oversized socket frame. A declared Content-Length over the bound is refused before any
 * byte is read. Runs after authentication, and only for a route the router matched, so an
 * unauthenticated client or a request for no route never makes the daemon read a body.
 *
 * hono's own bodyLimit is not used: for a body without Content-Length (chunked, or a bodiless
 * DELETE) it rebuilds the request with `new Request(raw, ...)`, which throws a TypeError on
 * the node server's request object.
 */
export function limitBody(ctx: DaemonContext, maxBytes: number): Gate {
  const read = async (c: Context<GatewayEnv>) => {
    const body = await readBody(c, maxBytes);
    return body === null ? refuse(c, ctx, bodyTooLarge(c, maxBytes), httpSite(c, ctx, null, false)) : undefined;
  };
  // GET routes take their parameters from the query; a body sent anyway stays unread.
  return (c) => (c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : read(c));
}

/** The refusal of a body over `maxBytes`: E_FRAME_TOO_LARGE with its `frame_rejected` row. */
export function bodyTooLarge(c: Context<GatewayEnv>, maxBytes: number): CovenantError {
  return refusalWith('E_FRAME_TOO_LARGE', `request bodies are limited to ${maxBytes} bytes (8 MiB); split the request`, {
    kind: 'frame_rejected',
    payload: { transport: 'http', reason: `body exceeds ${maxBytes} bytes`, authenticated: true, token_prefix: c.get('caller').tokenPrefix, path: auditPath(c) },
  });
}

/**
 * Reads the body into the `body` variable, or answers null when it is over `maxBytes` (a
 * declared Content-Length over the bound is refused before any byte is read).
 */
export async function readBody(c: Context<GatewayEnv>, maxBytes: number): Promise<Uint8Array | null> {
  const declared = c.req.header('content-length');
  if (declared !== undefined && c.req.header('transfer-encoding') === undefined && Number(declared) > maxBytes) return null;
  const body = await readAtMost(c.req.raw.body, maxBytes);
  if (body === null) return null;
  c.set('body', body);
  c.set('bodyRead', true);
  return body;
}

/** The whole stream, or null as soon as it exceeds `maxBytes` (the rest is left unread). */
export async function readAtMost(stream: ReadableStream<Uint8Array> | null, maxBytes: number): Promise<Uint8Array | null> {
  if (stream === null) return new Uint8Array(0);
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
