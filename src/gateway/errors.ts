import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CovenantError, statusOf, type ErrorCode } from '../core/index.js';
import type { DaemonContext } from '../requests/index.js';
import { internalErrorMessage as daemonInternalErrorMessage } from '../requests/index.js';
import type { AgentId } from '../identity/index.js';
import type { GatewayEnv } from './env.js';
import { redactPath } from './redact-path.js';

export interface ErrorBody {
  kind: 'error';
  code: string;
  message: string;
}

export function errorBody(code: string, message: string): ErrorBody {
  return { kind: 'error', code, message };
}

/** The JSON error object with the status the catalogue gives its code. */
export function errorResponse(c: Context<GatewayEnv>, code: ErrorCode | string, message: string, headers?: Record<string, string>): Response {
  return c.json(errorBody(code, message), statusOf(code) as ContentfulStatusCode, headers);
}

export const AUDIT_UNAVAILABLE_MESSAGE = 'the audit log cannot be written; the request was not served';

export interface AuditRecord {
  issuer: AgentId;
  kind: string;
  payload: Record<string, unknown>;
}

/**
 * Writes the audit row of a refusal, then answers the refusal. When the row cannot be
 * written the answer is 503 E_AUDIT_UNAVAILABLE instead: nothing is served unaudited.
 */
export function auditedRefusal(
  c: Context<GatewayEnv>,
  ctx: DaemonContext,
  record: AuditRecord | null,
  code: ErrorCode | string,
  message: string,
  headers?: Record<string, string>,
): Response {
  if (record !== null && !appendAudit(ctx, record)) {
    return errorResponse(c, 'E_AUDIT_UNAVAILABLE', AUDIT_UNAVAILABLE_MESSAGE);
  }
  return errorResponse(c, code, message, headers);
}

/** Appends one row; false (and a log line) when the audit log cannot be written. */
export function appendAudit(ctx: DaemonContext, record: AuditRecord): boolean {
  try {
    ctx.audit.append(record.issuer, record.kind, record.payload);
    return true;
  } catch (error) {
    ctx.log.error({ err: error, audit_kind: record.kind }, 'could not write an audit row for an http refusal');
    return false;
  }
}

/**
 * What every caller is told about an internal error: where to look, without the absolute
 * path (it names the operator's home, and a caller is not necessarily the operator).
 */
export function internalErrorMessage(ctx: DaemonContext): string {
  return daemonInternalErrorMessage(ctx.paths);
}

/** Logs without ever throwing: a failing logger must not turn an answer into a crash. */
export function logError(ctx: DaemonContext, fields: Record<string, unknown>, message: string): void {
  try {
    ctx.log.error(fields, message);
  } catch {
    // Nothing left to tell: the log itself is what failed.
  }
}

/** Who asked, as far as the gateway knows: the authenticated caller, else the daemon itself. */
function requester(c: Context<GatewayEnv>, ctx: DaemonContext): { issuer: AgentId; tokenPrefix: string | null } {
  const caller = c.get('caller') ?? c.get('identity')?.caller;
  if (caller) return { issuer: caller.agentId, tokenPrefix: caller.tokenPrefix };
  return { issuer: ctx.identity.agentId, tokenPrefix: c.get('identity')?.failure?.tokenPrefix ?? null };
}

/**
 * The `request_rejected` row of a refusal. `where` adds the method and the (redacted) path:
 * for refusals of the route itself (404, 405) and internal errors, where the kind alone does
 * not say what was asked.
 */
export function rejectionRecord(c: Context<GatewayEnv>, ctx: DaemonContext, requestKind: string | null, code: string, where: boolean): AuditRecord {
  const { issuer, tokenPrefix } = requester(c, ctx);
  const payload: Record<string, unknown> = { transport: 'http', request_kind: requestKind, code, token_prefix: tokenPrefix };
  if (where) Object.assign(payload, { method: c.req.method.slice(0, 16), path: auditPath(c) });
  return { issuer, kind: 'request_rejected', payload };
}

/**
 * A refusal thrown while handling a request, audited like `executeRequest` does: a
 * CovenantError answers its own code; anything else (a bug) is logged and answered
 * E_INTERNAL. Never throws: this is the last word on one request.
 */
export function refusalFromError(c: Context<GatewayEnv>, ctx: DaemonContext, requestKind: string | null, error: unknown): Response {
  const known = error instanceof CovenantError ? error : null;
  if (!known) logError(ctx, { err: error, transport: 'http', request_kind: requestKind, method: c.req.method.slice(0, 16), path: auditPath(c) }, 'http request failed with an internal error');
  const code = known?.code ?? 'E_INTERNAL';
  const message = known?.message ?? internalErrorMessage(ctx);
  const record = known?.audited ? null : rejectionRecord(c, ctx, requestKind, code, known === null);
  try {
    return auditedRefusal(c, ctx, record, code, message);
  } catch (answerError) {
    logError(ctx, { err: answerError }, 'http gateway could not answer a refusal');
    return internalErrorResponse(ctx);
  }
}

/** The E_INTERNAL answer built without hono's context, for when even that failed. */
export function internalErrorResponse(ctx: DaemonContext): Response {
  return new Response(JSON.stringify(errorBody('E_INTERNAL', internalErrorMessage(ctx))), {
    status: 500,
    headers: { 'content-type': 'application/json' },
  });
}

/**
 * The request path for audit rows, logs and messages: never the query string, token-shaped
 * parts cut to a 6-character prefix, bounded length (see redactPath).
 */
export function auditPath(c: Context<GatewayEnv>): string {
  return redactPath(c.req.path);
}
