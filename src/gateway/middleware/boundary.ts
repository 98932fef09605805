import type { MiddlewareHandler } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import { refusalFromError } from '../errors.js';

/**
 * The outermost middleware: whatever escapes the rest, including values that are not Errors
 * (hono's `onError` only sees Error instances), is answered E_INTERNAL, audited and logged.
 */
export function requestBoundary(ctx: DaemonContext): MiddlewareHandler<GatewayEnv> {
  return async (c, next) => {
    try {
      await next();
    } catch (error) {
      c.res = refusalFromError(c, ctx, null, error);
    }
  };
}
