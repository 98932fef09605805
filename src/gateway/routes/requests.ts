import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CovenantError, statusOf } from '../../core/index.js';
import { executeRequest, replyJson, type Reply } from '../../requests/index.js';
import type { DaemonContext } from '../../requests/index.js';
import { refusalWith, responseTooLarge } from '../../requests/index.js';
import { REQUESTS, type HttpMethod, type RequestDefinition } from '../../protocol/index.js';
import type { GatewayEnv } from '../env.js';
import { auditPath, errorBody, httpSite, internalErrorMessage, refuse } from '../errors.js';
import { MAX_RESPONSE_BYTES } from '../options.js';
import { clientGoneSignal } from '../request-signal.js';
import { paramsFromText, parseJsonBody } from './params.js';

export interface RouteEntry {
  method: HttpMethod;
  path: string;
  /** The request kind (or event stream name) served there. */
  name: string;
  /** One line for docs/http-gateway.md and /openapi.json. */
  summary: string;
}

/** One route per request kind, read from the request table. */
export function requestRoutes(): RouteEntry[] {
  return Object.values(REQUESTS).map((entry) => {
    const definition = entry as unknown as RequestDefinition;
    return { method: definition.http.method, path: definition.http.path, name: definition.kind, summary: definition.summary };
  });
}

/**
 * The answer to a reply of `executeRequest`: 200, or the catalogue status of its error code.
 * A success over MAX_RESPONSE_BYTES is refused with 413 E_RESPONSE_TOO_LARGE (audited),
 * saying how to narrow it. An internal error is worded by the gateway, which names the log
 * without its absolute path (executeRequest has logged and audited it already).
 */
export function replyResponse(c: Context<GatewayEnv>, ctx: DaemonContext, definition: RequestDefinition, reply: Reply, maxBytes = MAX_RESPONSE_BYTES): Response {
  if (reply.kind === 'error') {
    const code = String((reply as { code?: unknown }).code);
    const body = code === 'E_INTERNAL' ? errorBody(code, internalErrorMessage(ctx)) : reply;
    return c.json(body, statusOf(code) as ContentfulStatusCode);
  }
  const { text, bytes } = replyJson(reply);
  if (bytes > maxBytes) {
    return refuse(c, ctx, responseTooLarge(definition.kind, bytes, maxBytes), httpSite(c, ctx, definition.kind, false));
  }
  return c.body(text, 200, { 'content-type': 'application/json' });
}

/**
 * Mounts every request kind of the table at its `http.method` + `http.path`. GET takes its
 * parameters from the query string, POST from a JSON object body; path parameters (`:id`)
 * fill the parameter of the same name and win over both. The route, not the body, names the
 * kind. Everything after that is `executeRequest`, the path the socket uses too.
 */
export function mountRequestRoutes(app: Hono<GatewayEnv>, ctx: DaemonContext): void {
  for (const entry of Object.values(REQUESTS)) {
    const definition = entry as unknown as RequestDefinition;
    const { kind } = definition;
    const hasPathParams = definition.http.path.includes(':');
    app.on(definition.http.method, definition.http.path, (c): Response | Promise<Response> => {
      const caller = c.get('caller');
      let params: Record<string, unknown>;
      if (definition.http.method === 'GET') {
        params = hasQuery(c) ? paramsFromText(definition.params, c.req.queries()) : {};
      } else {
        const body = parseJsonBody(c.get('body'));
        if (!body.ok) {
          const refusal =
            body.code === 'E_INVALID_JSON'
              ? refusalWith(body.code, body.message, {
                  kind: 'frame_rejected',
                  payload: { transport: 'http', reason: 'invalid JSON', authenticated: true, token_prefix: caller.tokenPrefix, path: auditPath(c) },
                })
              : new CovenantError(body.code, body.message);
          return refuse(c, ctx, refusal, httpSite(c, ctx, kind, false));
        }
        params = body.value;
        if (Object.hasOwn(params, 'kind') && params.kind !== kind) {
          const refusal = new CovenantError(
            'E_BAD_REQUEST',
            `${definition.http.method} ${definition.http.path} serves ${kind}; drop the "kind" field from the body (the route names the request)`,
          );
          return refuse(c, ctx, refusal, httpSite(c, ctx, kind, false));
        }
      }
      const pathParams = hasPathParams ? paramsFromText(definition.params, toLists(c.req.param())) : undefined;
      const reply = executeRequest(ctx, caller, { ...params, ...pathParams, kind }, clientGoneSignal(c));
      return reply instanceof Promise ? reply.then((done) => replyResponse(c, ctx, definition, done)) : replyResponse(c, ctx, definition, reply);
    });
  }
}

/** Whether the request target has a query string (read from the node request when there is one). */
function hasQuery(c: Context<GatewayEnv>): boolean {
  return (c.env?.incoming?.url ?? c.req.url).includes('?');
}

function toLists(values: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [key, [value]]));
}
