import type { Hono } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import { protocolInfo } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import type { RouteEntry } from './requests.js';

/** The only routes served without a token. */
export const PUBLIC_ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: '/health', name: 'health' },
  { method: 'GET', path: '/version', name: 'version' },
];

export function mountPublicRoutes(app: Hono<GatewayEnv>, ctx: DaemonContext): void {
  app.get('/health', (c) => c.json({ status: 'ok' }));
  // The same object as the IPC `protocol_info` answer's `info`.
  app.get('/version', (c) => c.json(protocolInfo(ctx.daemonVersion)));
}
