import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';
import type { GatewayEnv } from './env.js';

/** The peer address of the socket, or "unknown" when there is none (`app.request()` in tests). */
export function remoteAddress(c: Context<GatewayEnv>): string {
  if (!c.env?.incoming) return 'unknown';
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
