import { Hono } from 'hono';
import type { DaemonContext } from '../requests/index.js';
import { InFlightTracker } from '../requests/index.js';
import type { GatewayEnv } from './env.js';
import { appendAudit, refusalFromError } from './errors.js';
import { limitBody } from './middleware/body-limit.js';
import { requestBoundary } from './middleware/boundary.js';
import { closeIfBodyUnread } from './middleware/close-unread.js';
import { corsAllowList } from './middleware/cors.js';
import { identify } from './middleware/identify.js';
import { trackInFlight } from './middleware/in-flight.js';
import { rateLimit, rateLimitRow, type RateLimitAuditContext } from './middleware/rate-limit.js';
import { requireAuth } from './middleware/require-auth.js';
import { checkRoute, refuseRoute } from './middleware/route-check.js';
import { DEFAULT_BURST, DEFAULT_RATE_PER_SECOND, HEARTBEAT_MS, MAX_BODY_BYTES, RATE_LIMIT_AUDIT_INTERVAL_MS, type AppOptions } from './options.js';
import { AuditThrottle, KeyedRateLimiter } from './rate-limit/index.js';
import { RouteMethods } from './routes/match.js';
import { openApiDocument } from './openapi.js';
import { mountPublicRoutes } from './routes/public.js';
import { mountConsolePublicRoutes, mountConsoleWhoamiRoute } from './console/routes.js';
import { mountRequestRoutes, type RouteEntry } from './routes/requests.js';
import { mountA2aRpcRoute } from './routes/a2a-rpc.js';
import { gatewayRoutes } from './routes/table.js';
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
 * The gateway as a hono app. Order matters:
 * boundary -> in-flight -> cors -> identify -> rate limit -> public routes -> require auth ->
 * route check (404/405) -> `POST /a2a/v1` (its own body limit) -> body limit -> streams,
 * request routes. So preflights never need a token, a flood is refused before it can write
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
  const app = new Hono<GatewayEnv>();
  // Errors thrown inside any handler or middleware; requestBoundary catches the rest.
  app.onError((error, c) => refusalFromError(c, ctx, null, error));
  // Only reached when checkRoute let a request through that hono does not route.
  app.notFound((c) => refuseRoute(c, ctx, routeMethods.allowed(c.req.path)));

  app.use('*', requestBoundary(ctx));
  app.use('*', trackInFlight(state.inFlight));
  app.use('*', closeIfBodyUnread());
  app.use('*', corsAllowList(options.origins));
  app.use('*', identify(ctx));
  app.use('*', rateLimit(ctx, limiter, throttle, () => state.onRateLimited?.()));
  mountPublicRoutes(app, ctx, () => openApiDocument(ctx.daemonVersion));
  mountConsolePublicRoutes(app, ctx);
  app.use('*', requireAuth(ctx));
  app.use('*', checkRoute(ctx, routeMethods));
  // Before the body limit: it reads its body itself, to refuse an oversized one as JSON-RPC.
  mountA2aRpcRoute(app, ctx, state.streams, { sendWaitMs: options.a2aSendWaitMs });
  app.use('*', limitBody(ctx, MAX_BODY_BYTES));
  for (const stream of EVENT_STREAMS) mountEventStream(app, ctx, stream, state.streams, options.heartbeatMs ?? HEARTBEAT_MS);
  mountRequestRoutes(app, ctx);
  mountConsoleWhoamiRoute(app);
  return { app, state };
}

/** The gateway's hono app, without a socket (tests call `app.request(...)`). */
export function createGatewayApp(ctx: DaemonContext, options: AppOptions): Hono<GatewayEnv> {
  return buildGateway(ctx, options).app;
}
