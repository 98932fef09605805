import { Hono } from 'hono';
import { CovenantError } from '../core/index.js';
import type { DaemonContext } from '../daemon/context.js';
import { InFlightTracker } from '../daemon/in-flight.js';
import type { GatewayEnv } from './env.js';
import { appendAudit, auditedRefusal, auditPath, errorResponse } from './errors.js';
import { limitBody } from './middleware/body-limit.js';
import { closeIfBodyUnread } from './middleware/close-unread.js';
import { corsAllowList } from './middleware/cors.js';
import { identify } from './middleware/identify.js';
import { trackInFlight } from './middleware/in-flight.js';
import { rateLimit, rateLimitRow, type RateLimitAuditContext } from './middleware/rate-limit.js';
import { requireAuth } from './middleware/require-auth.js';
import { DEFAULT_BURST, DEFAULT_RATE_PER_SECOND, HEARTBEAT_MS, MAX_BODY_BYTES, type AppOptions } from './options.js';
import { AuditThrottle, KeyedRateLimiter } from './rate-limit/index.js';
import { mountPublicRoutes, PUBLIC_ROUTES } from './routes/public.js';
import { mountRequestRoutes, requestRoutes, type RouteEntry } from './routes/requests.js';
import { EVENT_STREAMS, mountEventStream, StreamRegistry } from './streams/index.js';

/** What the server around the app needs: in-flight requests, open streams, pending audit counts. */
export interface GatewayState {
  inFlight: InFlightTracker;
  streams: StreamRegistry;
  limiter: KeyedRateLimiter;
  /** Every route served, public ones included. */
  routes: RouteEntry[];
  /** Writes the `rate_limited` rows of refusals not yet recorded (all of them when `all`). */
  flushSuppressed(all: boolean): void;
}

/** Every route of the gateway; throws when two of them claim the same method and path. */
export function gatewayRoutes(): RouteEntry[] {
  const routes = [
    ...PUBLIC_ROUTES,
    ...EVENT_STREAMS.map((stream): RouteEntry => ({ method: 'GET', path: stream.path, name: stream.name })),
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

/**
 * The gateway as a hono app. Order matters:
 * cors -> identify -> rate limit -> public routes -> require auth -> body limit -> streams,
 * request routes -> 404. So preflights never need a token, a flood is refused before it can
 * write `authentication_failed` rows, and no body is read for an unauthenticated caller.
 */
export function buildGateway(ctx: DaemonContext, options: AppOptions): { app: Hono<GatewayEnv>; state: GatewayState } {
  const clock = options.clock ?? ctx.clock;
  const limiter = new KeyedRateLimiter(options.ratePerSecond ?? DEFAULT_RATE_PER_SECOND, options.burst ?? DEFAULT_BURST, clock);
  const throttle = new AuditThrottle<RateLimitAuditContext>(clock, 1000);
  const routes = gatewayRoutes();
  const state: GatewayState = {
    inFlight: new InFlightTracker(),
    streams: new StreamRegistry(),
    limiter,
    routes,
    flushSuppressed(all) {
      for (const pending of throttle.drain(all)) appendAudit(ctx, rateLimitRow(pending.context, pending.suppressed, null));
    },
  };

  const app = new Hono<GatewayEnv>();
  app.onError((error, c) => {
    if (error instanceof CovenantError) return errorResponse(c, error.code, error.message);
    ctx.log.error({ err: error, method: c.req.method, path: auditPath(c) }, 'http gateway internal error');
    return errorResponse(c, 'E_INTERNAL', `internal error; details are in ${ctx.paths.daemonLog}`);
  });
  app.notFound((c) => {
    const caller = c.get('caller');
    if (!caller) return errorResponse(c, 'E_AUTH_REQUIRED', 'this route needs an `Authorization: Bearer <token>` header');
    const path = c.req.path;
    const sameStaticPath = routes.filter((route) => route.path === path).map((route) => `${route.method} ${route.path}`);
    const hint = sameStaticPath.length > 0 ? `; this path is served as ${sameStaticPath.join(', ')}` : '; see docs/http-gateway.md for the routes';
    return auditedRefusal(
      c,
      ctx,
      {
        issuer: caller.agentId,
        kind: 'request_rejected',
        payload: { transport: 'http', request_kind: null, code: 'E_NOT_FOUND', token_prefix: caller.tokenPrefix, method: c.req.method, path: auditPath(c) },
      },
      'E_NOT_FOUND',
      `no route ${c.req.method} ${path.slice(0, 128)}${hint}`,
    );
  });

  app.use('*', trackInFlight(state.inFlight));
  app.use('*', closeIfBodyUnread());
  app.use('*', corsAllowList(options.origins));
  app.use('*', identify(ctx));
  app.use('*', rateLimit(ctx, limiter, throttle));
  mountPublicRoutes(app, ctx);
  app.use('*', requireAuth(ctx));
  app.use('*', limitBody(ctx, MAX_BODY_BYTES));
  for (const stream of EVENT_STREAMS) mountEventStream(app, ctx, stream, state.streams, options.heartbeatMs ?? HEARTBEAT_MS);
  mountRequestRoutes(app, ctx);
  return { app, state };
}

/** The gateway's hono app, without a socket (tests call `app.request(...)`). */
export function createGatewayApp(ctx: DaemonContext, options: AppOptions): Hono<GatewayEnv> {
  return buildGateway(ctx, options).app;
}
