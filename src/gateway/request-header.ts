import type { Context } from 'hono';
import type { GatewayEnv } from './env.js';

/**
 * A request header as `c.req.header(name)` gives it (every value of the name, joined with
 * ", "; undefined when absent), read from the node request's raw header list. `c.req.header`
 * makes the node adapter build a web Headers object for every request; the hot middleware
 * (CORS, identification) read through this instead. `name` is lower-case. Driven through
 * `app.request()` (tests: no node request), it is `c.req.header(name)`.
 */
export function requestHeader(c: Context<GatewayEnv>, name: string): string | undefined {
  const raw = c.env?.incoming?.rawHeaders;
  if (!raw) return c.req.header(name);
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const key = raw[i]!;
    if (key.length === name.length && key.toLowerCase() === name) value = value === undefined ? raw[i + 1]! : `${value}, ${raw[i + 1]!}`;
  }
  return value;
}
