import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CovenantError, statusOf, type ErrorCode } from '../core/index.js';
import type { DaemonContext } from '../daemon/context.js';
import type { AgentId } from '../identity/index.js';
import type { GatewayEnv } from './env.js';

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

/** A refusal thrown while handling an authenticated request, audited like `executeRequest` does. */
export function refusalFromError(
  c: Context<GatewayEnv>,
  ctx: DaemonContext,
  requestKind: string,
  error: unknown,
): Response {
  const caller = c.get('caller');
  const known = error instanceof CovenantError ? error : null;
  if (!known) ctx.log.error({ err: error, transport: 'http', request_kind: requestKind }, 'http request failed with an internal error');
  const code = known?.code ?? 'E_INTERNAL';
  const message = known?.message ?? `internal error; details are in ${ctx.paths.daemonLog}`;
  const record: AuditRecord | null = known?.audited
    ? null
    : { issuer: caller.agentId, kind: 'request_rejected', payload: { transport: 'http', request_kind: requestKind, code, token_prefix: caller.tokenPrefix } };
  return auditedRefusal(c, ctx, record, code, message);
}

/** The request path for audit rows and messages: never the query string, bounded length. */
export function auditPath(c: Context<GatewayEnv>): string {
  return c.req.path.slice(0, 128);
}
