import type { Context } from 'hono';
import type { GatewayEnv } from '../env.js';

/**
 * True when a browser request comes from the gateway's own origin: its `Origin` is exactly
 * `http://<Host>`, and `Sec-Fetch-Site`, when the browser sends it, says `same-origin`. A page
 * on another loopback port is same-site (SameSite=Strict still sends the cookie), so state
 * changes made with the console cookie need this check.
 */
export function fromOwnOrigin(c: Context<GatewayEnv>): boolean {
  const origin = c.req.header('origin');
  const host = c.req.header('host');
  if (origin === undefined || host === undefined) return false;
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined && site !== 'same-origin') return false;
  return origin === `http://${host}`;
}

/** Reads never change state; everything else sent with the console cookie must pass fromOwnOrigin. */
export function isStateChanging(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS';
}
