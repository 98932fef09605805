import type { Context, Hono } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import { protocolInfo, signedAgentCard } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import type { RouteEntry } from './requests.js';

/**
 * The only routes served without a token. `/openapi.json` is public on purpose: it describes
 * what the open-source code serves and holds no secret, no state and nothing `/version` does
 * not already tell (docs/http-gateway.md).
 */
export const PUBLIC_ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: '/health', name: 'health', summary: 'Liveness: `{"status":"ok"}`.' },
  { method: 'GET', path: '/version', name: 'version', summary: 'The protocol info: the `info` of the IPC `protocol_info` answer.' },
  { method: 'GET', path: '/openapi.json', name: 'openapi', summary: 'This API as an OpenAPI 3.1 document generated from the zod schemas of the request table.' },
  { method: 'GET', path: '/.well-known/agent-card.json', name: 'agent_card', summary: 'The A2A agent card (SPEC 10): one skill per installed agent, signed by the daemon key (detached JWS, EdDSA).' },
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

export function mountPublicRoutes(app: Hono<GatewayEnv>, ctx: DaemonContext, openapi: () => object): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  // The same object as the IPC `protocol_info` answer's `info`.
  app.get('/version', (c) => c.json(protocolInfo(ctx.daemonVersion)));
  app.get('/openapi.json', (c) => c.json(openapi()));
  // The A2A agent card (SPEC 10), signed by the daemon key; public so a remote can fetch and pin it.
  app.get('/.well-known/agent-card.json', (c) => c.json(signedAgentCard(ctx, boundOrigin(c))));
}
