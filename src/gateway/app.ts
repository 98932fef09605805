import { Hono, type Context } from 'hono';
import type { H } from 'hono/types';
import type { DaemonContext } from '../requests/index.js';
import { InFlightTracker } from '../requests/index.js';
import type { GatewayEnv } from './env.js';
import { appendAudit, refusalFromError } from './errors.js';
import { limitBody } from './middleware/body-limit.js';
import { corsAllowList } from './middleware/cors.js';
import { frontDoor, type RouteHandler } from './middleware/front-door.js';
import { identify } from './middleware/identify.js';
import { rateLimit, rateLimitRow, type RateLimitAuditContext } from './middleware/rate-limit.js';
import { requireAuth } from './middleware/require-auth.js';
import { refuseRoute } from './middleware/route-check.js';
import { DEFAULT_BURST, DEFAULT_RATE_PER_SECOND, HEARTBEAT_MS, MAX_BODY_BYTES, RATE_LIMIT_AUDIT_INTERVAL_MS, type AppOptions } from './options.js';
import { AuditThrottle, KeyedRateLimiter } from './rate-limit/index.js';
import { DoorRouter } from './routes/door-router.js';
import { LiteralPathRouter } from './routes/literal-router.js';
import { RouteMethods } from './routes/match.js';
import { openApiDocument } from './openapi.js';
import { mountPublicRoutes } from './routes/public.js';
import { mountConsolePublicRoutes, mountConsoleWhoamiRoute } from './console/routes.js';
import { mountRequestRoutes, type RouteEntry } from './routes/requests.js';
import { A2A_RPC_ROUTE, mountA2aRpcRoute } from './routes/a2a-rpc.js';
import { gatewayRoutes, isPublicRoute } from './routes/table.js';
import { EVENT_STREAMS, mountEventStream, StreamRegistry } from './streams/index.js';

export { gatewayRoutes };

/** What the server around the app needs: in-flight requests, open streams, pending audit counts. */
export interface GatewayState {
  inFlight: InFlightTracker;
  streams: StreamRegistry;
  limiter: KeyedRateLimiter;
  /** Every route served, public ones included. */
  routes: RouteEntry[];
  /**
   * Writes the `rate_limited` summary rows that are due; `final` (at shutdown) writes every
   * pending count and makes each later refusal write its own row at once.
   */
  flushRateLimited(final: boolean): void;
  /** Whether refusals are held, or keys remembered, that a later `flushRateLimited` handles. */
  rateLimitPending(): boolean;
  /** Called whenever a refusal is counted; the server arms its flush timer from it (none while idle). */
  onRateLimited: (() => void) | null;
}

/**
 * The gateway as a hono app: routes only, each behind the front door (middleware/front-door.ts,
 * put there by the router), as is the not-found answer (404/405). The front door's order matters:
 * in-flight count and error boundary around all
 * -> cors -> identify -> rate limit -> (public routes go on here) -> require auth -> (`POST
 * /a2a/v1` and the not-found answer go on here: the one limits its own body, the other reads
 * none) -> body limit -> the route.
 * So preflights never need a token, a flood is refused before it can write
 * `authentication_failed` rows, no body is read for an unauthenticated caller or a request no
 * route serves, and nothing thrown while serving one request escapes it.
 */
export function buildGateway(ctx: DaemonContext, options: AppOptions): { app: Hono<GatewayEnv>; state: GatewayState } {
  const clock = options.clock ?? ctx.clock;
  const limiter = new KeyedRateLimiter(options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND, options.burst ?? DEFAULT_BURST, clock);
  const throttle = new AuditThrottle<RateLimitAuditContext>(clock, RATE_LIMIT_AUDIT_INTERVAL_MS);
  const routes = gatewayRoutes();
  const state: GatewayState = {
    inFlight: new InFlightTracker(),
    streams: new StreamRegistry(),
    limiter,
    routes,
    flushRateLimited(final) {
      for (const due of final ? throttle.close() : throttle.drain()) {
        if (!appendAudit(ctx, rateLimitRow(due.context, due.count, null))) throttle.restore(due.key, due.count, due.context);
      }
    },
    rateLimitPending: () => throttle.size > 0,
    onRateLimited: null,
  };

  const routeMethods = new RouteMethods(routes);
  const door = frontDoor(ctx, state.inFlight, {
    first: [corsAllowList(options.origins), identify(ctx), rateLimit(ctx, limiter, throttle, () => state.onRateLimited?.())],
    auth: requireAuth(ctx),
    body: limitBody(ctx, MAX_BODY_BYTES),
  });
  const mounted = (handler: H, method: string, path: string): H => {
    const route = routes.find((entry) => entry.method === method && entry.path === path);
    if (route === undefined) throw new Error(`gateway route ${method} ${path} is mounted but not in the route table (routes/table.ts)`);
    return door(handler as RouteHandler, { isPublic: isPublicRoute(route), limitBody: route !== A2A_RPC_ROUTE }) as H;
  };
  const app = new Hono<GatewayEnv>({ router: new DoorRouter(new LiteralPathRouter(), mounted) });
  // Errors thrown outside the front door; it catches everything thrown inside.
  app.onError((error, c) => refusalFromError(c, ctx, null, error));
  // No route for the method and path: the front door's checks, then 404/405 (a preflight is
  // answered by the CORS check).
  const notFound = door((c) => refuseRoute(c, ctx, routeMethods.allowed(c.req.path)), { isPublic: false, limitBody: false });
  app.notFound((c: Context<GatewayEnv, string>) => notFound(c, () => Promise.resolve()) as Response | Promise<Response>);

  mountPublicRoutes(app, ctx, () => openApiDocument(ctx.daemonVersion));
  mountConsolePublicRoutes(app, ctx);
  mountA2aRpcRoute(app, ctx, state.streams, { sendWaitMs: options.a2aSendWaitMs });
  for (const stream of EVENT_STREAMS) mountEventStream(app, ctx, stream, state.streams, options.heartbeatMs ?? HEARTBEAT_MS);
  mountRequestRoutes(app, ctx);
  mountConsoleWhoamiRoute(app);
  return { app, state };
}

/** The gateway's hono app, without a socket (tests call `app.request(...)`). */
export function createGatewayApp(ctx: DaemonContext, options: AppOptions): Hono<GatewayEnv> {
  return buildGateway(ctx, options).app;
}
