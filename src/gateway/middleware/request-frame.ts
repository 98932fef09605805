import type { MiddlewareHandler } from 'hono';
import type { DaemonContext, InFlightTracker } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import { refusalFromError } from '../errors.js';
import { requestHeader } from '../request-header.js';

/**
 * The outermost middleware, around everything else a request goes through:
 * - it counts the request as in flight, so the server's `close()` lets it finish (event
 *   streams end at once);
 * - whatever escapes the rest, including values that are not Errors (hono's `onError` only
 *   sees Error instances), is answered E_INTERNAL, audited and logged;
 * - an answer given before the request body was read (401, 413, 429, 404...) closes the
 *   connection: the client may still be sending, and reusing that socket would race the server
 *   discarding the rest of the body.
 */
export function requestFrame(ctx: DaemonContext, tracker: InFlightTracker): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    const hasBody = requestHeader(c, 'transfer-encoding') !== undefined || Number(requestHeader(c, 'content-length') ?? '0') > 0;
    const done = tracker.start();
    try {
      await next();
    } catch (error) {
      c.res = refusalFromError(c, ctx, null, error);
    } finally {
      done();
    }
    if (hasBody && c.get('bodyRead') !== true) c.res.headers.set('Connection', 'close');
  };
}
