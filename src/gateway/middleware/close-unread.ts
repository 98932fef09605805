import type { MiddlewareHandler } from 'hono';
import type { GatewayEnv } from '../env.js';
import { requestHeader } from '../request-header.js';

/**
 * A refusal answered before the request body was read (401, 413, 429, 404...) closes the
 * connection: the client may still be sending, and reusing that socket would race the server
 * discarding the rest of the body.
 */
export function closeIfBodyUnread(): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    await next();
    const hasBody = requestHeader(c, 'transfer-encoding') !== undefined || Number(requestHeader(c, 'content-length') ?? '0') > 0;
    if (hasBody && c.get('bodyRead') !== true) c.res.headers.set('Connection', 'close');
  };
}
