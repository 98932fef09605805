import type { Context } from 'hono';
import type { NewAuditEvent } from '../audit/index.js';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { CovenantError, statusOf } from '../core/index.js';
import { asRefusal, internalErrorMessage as daemonInternalErrorMessage, recordRefusal, type DaemonContext, type RefusalSite } from '../requests/index.js';
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
export function errorResponse(c: Context<GatewayEnv>, code: string, message: string, headers?: Record<string, string>): Response {
  return c.json(errorBody(code, message), statusOf(code) as ContentfulStatusCode, headers);
}

export { AUDIT_UNAVAILABLE_MESSAGE } from '../requests/index.js';

/** An audit row written outside the refusal path: the aggregated `rate_limited` rows, whose count the rate limiter keeps. */
export interface AuditRecord {
  issuer: AgentId;
  event: NewAuditEvent;
}

/** Appends one row; false (and a log line) when the audit log cannot be written. */
export function appendAudit(ctx: DaemonContext, record: AuditRecord): boolean {
  try {
    ctx.audit.append(record.issuer, record.event);
    return true;
  } catch (error) {
    logError(ctx, { err: error, audit_kind: record.event.kind }, 'could not write an audit row for an http refusal');
    return false;
  }
}

/**
 * Answers an HTTP refusal through the one refusal path (src/requests/refusal.ts): its audit row
 * (the refusal's own event, else `request_rejected`) is written first; when it cannot be, the
 * answer is E_AUDIT_UNAVAILABLE (or E_STORAGE_FULL) instead: nothing is refused unaudited.
 */
export function refuse(c: Context<GatewayEnv>, ctx: DaemonContext, refusal: CovenantError, site: RefusalSite, headers?: Record<string, string>): Response {
  const answer = recordRefusal(ctx, refusal, site);
  return errorResponse(c, answer.code, answer.message, answer === refusal || answer.cause === refusal ? headers : undefined);
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
 * Where an HTTP refusal happened, for its audit row. `where` adds the method and the
 * (redacted) path: for refusals of the route itself (404, 405) and internal errors, where the
 * kind alone does not say what was asked.
 */
export function httpSite(c: Context<GatewayEnv>, ctx: DaemonContext, requestKind: string | null, where: boolean): RefusalSite {
  const { issuer, tokenPrefix } = requester(c, ctx);
  const site: RefusalSite = { transport: 'http', issuer, tokenPrefix, requestKind };
  if (where) site.where = { method: c.req.method.slice(0, 16), path: auditPath(c) };
  return site;
}

/**
 * A refusal thrown while handling a request, audited like `executeRequest` does: a
 * CovenantError answers its own code; anything else (a bug) is logged and answered
 * E_INTERNAL. Never throws: this is the last word on one request.
 */
export function refusalFromError(c: Context<GatewayEnv>, ctx: DaemonContext, requestKind: string | null, error: unknown): Response {
  try {
    const site = httpSite(c, ctx, requestKind, !(error instanceof CovenantError));
    return refuse(c, ctx, asRefusal(ctx, error, site), site);
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
