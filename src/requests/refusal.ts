import { checkAuditEvent, knownPubkeys, redactRefusal, requestRejected, type NewAuditEvent } from '../audit/index.js';
import { CovenantError, type ErrorCode } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import { asStorageFull } from '../store/index.js';
import type { Transport } from './caller.js';
import type { DaemonContext } from './context.js';
import { internalErrorMessage } from './internal-error.js';

export const AUDIT_UNAVAILABLE_MESSAGE = 'the audit log cannot be written; the request was not served';

/** Where a refusal happened: who asked (the daemon itself when nobody authenticated), over what, for which kind. */
export interface RefusalSite {
  transport: Transport;
  issuer: AgentId;
  tokenPrefix: string | null;
  requestKind: string | null;
  /** HTTP refusals that the kind alone does not describe (404, 405, internal errors): method and redacted path. */
  where?: { method: string | null; path: string | null };
  /** A socket reply too large to send: its size. */
  replyBytes?: number;
}

/** A refusal that its own catalogued event records, in place of `request_rejected` (typed here, checked again when written). */
export function refusalWith(code: ErrorCode, message: string, event: NewAuditEvent): CovenantError {
  return new CovenantError(code, message, { auditEvent: event });
}

/**
 * Anything thrown while serving a request, as the refusal to answer: a CovenantError as it
 * is, a full disk as E_STORAGE_FULL, anything else (a bug) as E_INTERNAL naming the log file,
 * with the original as its `cause` and logged here, never told to the caller.
 */
export function asRefusal(ctx: Pick<DaemonContext, 'log' | 'paths'>, error: unknown, site: Pick<RefusalSite, 'transport' | 'requestKind' | 'where'>): CovenantError {
  if (error instanceof CovenantError) return error;
  const full = asStorageFull(error);
  if (full) return new CovenantError(full.code, full.message, { cause: error });
  const fields = { err: error, transport: site.transport, request_kind: site.requestKind, ...site.where };
  quietly(() => ctx.log.error(fields, `${site.transport} request failed with an internal error`));
  return new CovenantError('E_INTERNAL', internalErrorMessage(ctx.paths), { cause: error });
}

/** The row that records a refusal: its own event when it carries one, else `request_rejected`; null when it was audited where it happened. */
export function refusalEvent(refusal: CovenantError, site: RefusalSite): NewAuditEvent | null {
  if (refusal.audited) return null;
  if (refusal.auditEvent) return checkAuditEvent(refusal.auditEvent);
  const base = { transport: site.transport, requestKind: site.requestKind, code: refusal.code, tokenPrefix: site.tokenPrefix };
  return requestRejected(site.where ? { ...base, where: site.where } : { ...base, replyBytes: site.replyBytes });
}

/**
 * The one refusal path of every transport: writes the refusal's audit row and answers what the
 * caller is told, its token-shaped runs cut to 6 characters wherever the message was built (the
 * audit writer cuts those of the row). When the row cannot be written, nothing is refused
 * unaudited: the answer is E_STORAGE_FULL (the disk is full; the space reserve is given up so
 * later rows fit) or E_AUDIT_UNAVAILABLE, carrying the write error as its cause. A refusal that
 * is itself a full disk gives up the reserve too.
 */
export function recordRefusal(ctx: Pick<DaemonContext, 'audit' | 'log' | 'storage' | 'db' | 'identity'>, refusal: CovenantError, site: RefusalSite): CovenantError {
  if (refusal.code === 'E_STORAGE_FULL') ctx.storage.release();
  let event: NewAuditEvent | null = null;
  try {
    event = refusalEvent(refusal, site);
    if (event) ctx.audit.append(site.issuer, event);
    return redactedRefusal(ctx, refusal);
  } catch (auditError) {
    quietly(() => ctx.log.error({ err: auditError, audit_kind: event?.kind ?? refusal.auditEvent?.kind ?? 'request_rejected' }, 'could not write the audit row of a refusal'));
    const full = asStorageFull(auditError);
    if (full) {
      ctx.storage.release();
      return new CovenantError(full.code, full.message, { cause: auditError });
    }
    return new CovenantError('E_AUDIT_UNAVAILABLE', AUDIT_UNAVAILABLE_MESSAGE, { cause: auditError });
  }
}

/** The refusal as the caller is told it: itself when its message holds nothing token-shaped. */
export function redactedRefusal(ctx: Pick<DaemonContext, 'db' | 'identity'>, refusal: CovenantError): CovenantError {
  const message = redactRefusal(refusal.message, knownPubkeys(ctx.db, ctx.identity.agentId.pubkey));
  if (message === refusal.message) return refusal;
  return new CovenantError(refusal.code, message, { cause: refusal, audited: true });
}

/** For logging from the last word on a request: a failing logger must not turn an answer into a crash. */
function quietly(run: () => void): void {
  try {
    run();
  } catch {
    // Nothing left to tell: the log itself is what failed.
  }
}
