import type { Context } from 'hono';
import type { DaemonContext } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import { CovenantError } from '../../core/index.js';
import { auditPath, httpSite, refuse } from '../errors.js';

/**
 * The answer to a request no route serves, given before any body is read: a path served with
 * other methods gets 405 E_METHOD_NOT_ALLOWED with `Allow`, an unknown path 404 E_NOT_FOUND;
 * both audited as `request_rejected` with the method and the redacted path. HEAD is served by
 * GET routes (hono answers it from them).
 */
export function refuseRoute(c: Context<GatewayEnv>, ctx: DaemonContext, allowed: readonly string[]): Response {
  const asked = `${c.req.method.slice(0, 16)} ${auditPath(c)}`;
  if (allowed.length === 0) {
    return refuse(c, ctx, new CovenantError('E_NOT_FOUND', `no route ${asked}; see docs/http-gateway.md for the routes`), httpSite(c, ctx, null, true));
  }
  // hono answers HEAD from GET routes, so a GET path allows HEAD too.
  const list = allowed.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).join(', ');
  return refuse(c, ctx, new CovenantError('E_METHOD_NOT_ALLOWED', `${asked} is not served; this path answers ${list}`), httpSite(c, ctx, null, true), {
    Allow: list,
  });
}
