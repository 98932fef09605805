import type { Context, Hono } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import { protocolInfo, signedAgentCard } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import type { RouteEntry } from './requests.js';

/** The only routes served without a token. */
export const PUBLIC_ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: '/health', name: 'health' },
  { method: 'GET', path: '/version', name: 'version' },
  { method: 'GET', path: '/.well-known/agent-card.json', name: 'agent_card' },
];

/**
 * The card names the address the request reached (the socket's bound address and port), never
 * the Host header: a signed card must not repeat what a caller chose. `app.request()` in tests
 * has no socket; there the request URL's origin stands in.
 */
function boundOrigin(c: Context<GatewayEnv>): string {
  const socket = c.env?.incoming?.socket;
  if (!socket?.localAddress || !socket.localPort) return new URL(c.req.url).origin;
  const host = socket.localAddress.includes(':') ? `[${socket.localAddress}]` : socket.localAddress;
  return `http://${host}:${socket.localPort}`;
}

export function mountPublicRoutes(app: Hono<GatewayEnv>, ctx: DaemonContext): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  // The same object as the IPC `protocol_info` answer's `info`.
  app.get('/version', (c) => c.json(protocolInfo(ctx.daemonVersion)));
  // The A2A agent card (SPEC 10), signed by the daemon key; public so a remote can fetch and pin it.
  app.get('/.well-known/agent-card.json', (c) => c.json(signedAgentCard(ctx, boundOrigin(c))));
}
