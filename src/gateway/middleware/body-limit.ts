import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { DaemonContext } from '../../daemon/context.js';
import type { GatewayEnv } from '../env.js';
import { auditedRefusal, auditPath } from '../errors.js';

/**
 * Refuses bodies over `maxBytes` with 413 E_FRAME_TOO_LARGE (the IPC frame bound), audited as
 * `frame_rejected` like an oversized socket frame. Runs after authentication, so an
 * unauthenticated client never makes the daemon read a body.
 */
export function limitBody(ctx: DaemonContext, maxBytes: number): MiddlewareHandler<GatewayEnv> {
  return bodyLimit({
    maxSize: maxBytes,
    onError: (c) => {
      const caller = c.get('caller');
      return auditedRefusal(
        c,
        ctx,
        {
          issuer: caller.agentId,
          kind: 'frame_rejected',
          payload: { transport: 'http', reason: `body exceeds ${maxBytes} bytes`, authenticated: true, token_prefix: caller.tokenPrefix, path: auditPath(c) },
        },
        'E_FRAME_TOO_LARGE',
        `request bodies are limited to ${maxBytes} bytes (8 MiB); split the request`,
      );
    },
  }) as MiddlewareHandler<GatewayEnv>;
}
