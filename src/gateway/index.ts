/**
 * The HTTP gateway of SPEC section 4: routes derived from the IPC request table, bearer
 * authentication through the peer registry, CORS allow-list, body limit, per-token rate
 * limit, and server-sent event streams. See docs/http-gateway.md.
 */
export { startGateway, type RunningGateway } from './server.js';
export { createGatewayApp, buildGateway, gatewayRoutes, type GatewayState } from './app.js';
export { openApiDocument } from './openapi.js';
export { routesMarkdown, withRoutesSection, ROUTES_BEGIN, ROUTES_END } from './route-docs.js';
export { gatewayOptionsFromEnv, type EnvGatewayOptions } from './config.js';
export {
  DEFAULT_BURST,
  DEFAULT_HTTP_HOST,
  DEFAULT_HTTP_PORT,
  DEFAULT_RATE_PER_SECOND,
  HEARTBEAT_MS,
  MAX_BODY_BYTES,
  type AppOptions,
  type GatewayOptions,
} from './options.js';
export { EVENT_STREAMS, type EventStreamDefinition, type StreamEvent, type StreamSink } from './streams/index.js';
export { AuditThrottle, KeyedRateLimiter, TokenBucket, retryAfterSeconds } from './rate-limit/index.js';
export type { RouteEntry } from './routes/requests.js';
export type { GatewayEnv } from './env.js';
