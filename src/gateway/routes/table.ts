import { CONSOLE_PUBLIC_ROUTES, CONSOLE_WHOAMI_ROUTE } from '../console/routes.js';
import { EVENT_STREAMS } from '../streams/index.js';
import { A2A_RPC_ROUTE } from './a2a-rpc.js';
import { PUBLIC_ROUTES } from './public.js';
import { requestRoutes, type RouteEntry } from './requests.js';

/** Every route of the gateway; throws when two of them claim the same method and path. */
export function gatewayRoutes(): RouteEntry[] {
  const routes = [
    ...PUBLIC_ROUTES,
    ...CONSOLE_PUBLIC_ROUTES,
    CONSOLE_WHOAMI_ROUTE,
    ...EVENT_STREAMS.map((stream): RouteEntry => ({ method: 'GET', path: stream.path, name: stream.name, summary: stream.summary })),
    A2A_RPC_ROUTE,
    ...requestRoutes(),
  ];
  const seen = new Map<string, string>();
  for (const route of routes) {
    const key = `${route.method} ${route.path.replace(/:[^/]+/g, ':')}`;
    const other = seen.get(key);
    if (other !== undefined) throw new Error(`gateway route ${route.method} ${route.path} is claimed by both ${other} and ${route.name}`);
    seen.set(key, route.name);
  }
  return routes;
}

/** Served without a token: the liveness/version/discovery routes and the console's page, files and login. */
export function isPublicRoute(route: RouteEntry): boolean {
  return [...PUBLIC_ROUTES, ...CONSOLE_PUBLIC_ROUTES].some((entry) => entry.method === route.method && entry.path === route.path);
}
