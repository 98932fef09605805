import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import type { GatewayEnv } from '../env.js';

/**
 * CORS from an exact allow-list. An origin not on the list gets no
 * `Access-Control-Allow-Origin` header (so the browser keeps the response from the page);
 * an empty list, the default, allows no cross-origin caller at all. No wildcard, no credentials:
 * callers authenticate with a bearer token, never a cookie.
 */
export function corsAllowList(origins: readonly string[]): MiddlewareHandler<GatewayEnv> {
  const allowed = new Set(origins);
  return cors({
    origin: (origin) => (allowed.has(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Last-Event-ID'],
    exposeHeaders: ['Retry-After'],
    maxAge: 600,
  });
}
