import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { getRequestListener, RequestError } from '@hono/node-server';
import type { Hono } from 'hono';
import { CovenantError } from '../core/index.js';
import { recordRefusal, refusalWith, type DaemonContext } from '../requests/index.js';
import type { GatewayEnv } from './env.js';
import { errorBody, internalErrorMessage, internalErrorResponse, logError } from './errors.js';
import { redactPath } from './redact-path.js';

/** What is left to say about a request when hono's own handling failed: no context, no caller. */
function auditUnhandled(ctx: DaemonContext, error: unknown, method: string | undefined, url: string | undefined): void {
  const path = url === undefined ? null : redactPath(url.split('?')[0] ?? '');
  logError(ctx, { err: error, method, path }, 'http gateway: an error escaped the request handling');
  // The answer is E_INTERNAL whatever happens to the row: there is nothing else left to say.
  recordRefusal(ctx, new CovenantError('E_INTERNAL', internalErrorMessage(ctx)), {
    transport: 'http',
    issuer: ctx.identity.agentId,
    tokenPrefix: null,
    requestKind: null,
    where: { method: method?.slice(0, 16) ?? null, path },
  });
}

/**
 * A request the adapter cannot turn into a URL (a backslash in the path, a bad Host header):
 * 400, audited like a malformed socket frame (503 when that row cannot be written).
 */
function malformedRequest(ctx: DaemonContext, error: RequestError): Response {
  const reason = `malformed request: ${error.message.slice(0, 80)}`;
  const refusal = refusalWith('E_BAD_REQUEST', `${reason}; send an origin-form path and a valid Host header`, {
    kind: 'frame_rejected',
    payload: { transport: 'http', reason, authenticated: false, token_prefix: null, path: null },
  });
  const answer = recordRefusal(ctx, refusal, { transport: 'http', issuer: ctx.identity.agentId, tokenPrefix: null, requestKind: null });
  return new Response(JSON.stringify(answer.toWire()), {
    status: answer.status,
    headers: { 'content-type': 'application/json', connection: 'close' },
  });
}

/**
 * The node request listener of the gateway, with the last boundary of one request: what the
 * hono app itself did not turn into an answer (a rejected fetch, a throw of the adapter) is
 * answered E_INTERNAL, audited and logged; nothing reaches the process as an unhandled
 * rejection.
 */
export function gatewayListener(ctx: DaemonContext, app: Hono<GatewayEnv>, hostname: string): RequestListener {
  const listener = getRequestListener(app.fetch, {
    hostname,
    // The adapter's light Request/Response become the process-wide ones (docs/http-gateway.md,
    // "Speed"): without them every answer is a full web Response read back through its stream.
    overrideGlobalObjects: true,
    errorHandler: (error) => {
      if (error instanceof RequestError) return malformedRequest(ctx, error);
      auditUnhandled(ctx, error, undefined, undefined);
      return internalErrorResponse(ctx);
    },
  });
  const lastResort = (error: unknown, incoming: IncomingMessage, outgoing: ServerResponse) => {
    auditUnhandled(ctx, error, incoming.method, incoming.url);
    try {
      if (outgoing.headersSent) {
        outgoing.destroy();
        return;
      }
      const body = JSON.stringify(errorBody('E_INTERNAL', internalErrorMessage(ctx)));
      outgoing.writeHead(500, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), connection: 'close' });
      outgoing.end(body);
    } catch {
      outgoing.destroy();
    }
  };
  return (incoming, outgoing) => {
    try {
      listener(incoming, outgoing).catch((error: unknown) => lastResort(error, incoming, outgoing));
    } catch (error) {
      lastResort(error, incoming, outgoing);
    }
  };
}
