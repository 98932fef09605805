import type { Hono } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import { protocolInfo } from '../../requests/index.js';
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
];

export function mountPublicRoutes(app: Hono<GatewayEnv>, ctx: DaemonContext, openapi: () => object): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  // The same object as the IPC `protocol_info` answer's `info`.
  app.get('/version', (c) => c.json(protocolInfo(ctx.daemonVersion)));
  app.get('/openapi.json', (c) => c.json(openapi()));
}
