import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from '../env.js';

/**
 * A refusal answered before the request body was read (401, 413, 429, 404...) closes the
 * connection: the client may still be sending, and reusing that socket would race the server
 * discarding the rest of the body.
 */
export function closeIfBodyUnread(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();
    const hasBody = c.req.header('transfer-encoding') !== undefined || Number(c.req.header('content-length') ?? '0') > 0;
    if (hasBody && c.get('bodyRead') !== true) c.res.headers.set('Connection', 'close');
  };
}
