import { cors } from 'hono/cors';
import { GatewayResponse, type AddedHeaders } from '../gateway-response.js';
import { requestHeader } from '../request-header.js';
import type { Gate } from './gates.js';

const ALLOW_METHODS = ['GET', 'POST', 'OPTIONS'];
const ALLOW_HEADERS = ['Authorization', 'Content-Type', 'Last-Event-ID'];
const EXPOSE_HEADERS = ['Retry-After'];

/**
 * CORS from an exact allow-list. An origin not on the list gets no
 * `Access-Control-Allow-Origin` header (so the browser keeps the response from the page);
 * an empty list, the default, allows no cross-origin caller at all. No wildcard, no credentials:
 * callers authenticate with a bearer token, never a cookie.
 *
 * Preflights (OPTIONS) are hono's `cors`. Every other request gets the same headers hono's
 * middleware would give it, chosen before the route answers from a set made once per origin:
 * handed to the node response, which merges them into its `writeHead` (gateway-response.ts),
 * or, driven through `app.request()`, set with `c.header()`. hono's own sets them on `c.res`,
 * which makes a placeholder web Response on every request and then copies the route's answer
 * into a new Response built around its body stream (the node adapter's fast path for a string
 * body is lost). Same headers, no Response.
 */
export function corsAllowList(origins: readonly string[]): Gate {
  const allowed = new Set(origins);
  const allowOrigin = (origin: string) => (allowed.has(origin) ? origin : null);
  const preflight = cors({
    origin: allowOrigin,
    allowMethods: ALLOW_METHODS,
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: 600,
  });
  const expose = EXPOSE_HEADERS.join(',');
  // The headers of an answer, made once per allowed origin (and once for every other origin).
  const other: AddedHeaders = { 'access-control-expose-headers': expose, vary: 'Origin' };
  const forOrigin = new Map(origins.map((origin): [string, AddedHeaders] => [origin, { 'access-control-allow-origin': origin, ...other }]));
  // hono's `cors` answers every OPTIONS request itself: it never calls on.
  const answered = () => Promise.resolve();
  return (c) => {
    if (c.req.method === 'OPTIONS') return preflight(c, answered);
    const origin = requestHeader(c, 'origin');
    const added = (origin === undefined ? undefined : forOrigin.get(origin)) ?? other;
    const outgoing = c.env?.outgoing;
    if (outgoing instanceof GatewayResponse) {
      outgoing.added = added;
    } else {
      for (const [name, value] of Object.entries(added)) c.header(name, value, { append: name === 'vary' });
    }
    return undefined;
  };
}
