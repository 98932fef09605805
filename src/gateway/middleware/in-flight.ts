import type { MiddlewareHandler } from 'hono';
import type { InFlightTracker } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';

/** Counts requests being served so `close()` can let them finish (event streams end at once). */
export function trackInFlight(tracker: InFlightTracker): MiddlewareHandler<GatewayEnv> {
  return async (_c, next) => {
    const done = tracker.start();
    try {
      await next();
    } finally {
      done();
    }
  };
}
