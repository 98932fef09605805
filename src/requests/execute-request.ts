import { basename } from 'node:path';
import { z } from 'zod';
import { CovenantError, cutInput, quoteInput, recordedKind } from '../core/index.js';
import type { HomePaths } from '../home/index.js';
import { isRequestKind, requestDefinition, RequestIdSchema } from '../protocol/index.js';
import { asStorageFull } from '../store/index.js';
import type { Caller } from './caller.js';
import type { DaemonContext } from './context.js';
import { HANDLERS } from './handlers/index.js';
import type { RequestScope } from './scope.js';
import { checkRequestShape } from './request-shape.js';

type ErrorReply = { kind: 'error'; code: string; message: string };
export type Reply = { kind: string; [key: string]: unknown };

/** What every caller is told about an internal error: the log's name, never its absolute path. */
export function internalErrorMessage(paths: Pick<HomePaths, 'daemonLog'>): string {
  return `internal error; details are in ${basename(paths.daemonLog)} in the logs/ directory of the daemon's home`;
}

function describeIssues(error: z.ZodError): string {
  // Paths and messages may carry a caller's keys (an unrecognised key, a record key): cut each.
  return error.issues
    .slice(0, 5)
    .map((issue) => cutInput(issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * Runs one authenticated request: the same path for the socket and the HTTP gateway.
 * Parse -> authorize -> handle. Every refusal writes one audit row.
 */
export async function executeRequest(ctx: DaemonContext, caller: Caller, message: unknown, signal: AbortSignal): Promise<Reply> {
  const scope: RequestScope = { caller, signal, requestId: requestIdOf(message) };
  try {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new CovenantError('E_BAD_REQUEST', 'a request must be a JSON object with a "kind" field');
    }
    const { kind, id: _id, ...rest } = message as Record<string, unknown>;
    if (typeof kind !== 'string' || !isRequestKind(kind)) {
      throw new CovenantError(
        'E_UNKNOWN_KIND',
        `unknown request kind ${quoteInput(kind)}; compare versions with \`covenant version\` (this daemon speaks covenant.ipc v1)`,
      );
    }
    checkRequestShape(kind, rest);
    const definition = requestDefinition(kind);
    const parsed = definition.params.safeParse(rest);
    if (!parsed.success) {
      throw new CovenantError('E_BAD_REQUEST', `invalid ${kind} request: ${describeIssues(parsed.error)}`);
    }
    if (definition.mutates) ctx.storage.admitWrite();
    ctx.authorizer.require(caller, definition.authorize(parsed.data), kind);
    const handler = HANDLERS[kind] as (params: unknown, scope: RequestScope, ctx: DaemonContext) => Reply | Promise<Reply>;
    return await handler(parsed.data, scope, ctx);
  } catch (error) {
    return refusal(ctx, caller, message, error);
  }
}

function refusal(ctx: DaemonContext, caller: Caller, message: unknown, error: unknown): ErrorReply {
  const known = error instanceof CovenantError ? error : asStorageFull(error);
  if (known?.code === 'E_STORAGE_FULL') ctx.storage.release();
  if (!known) ctx.log.error({ err: error, transport: caller.transport }, 'request failed with an internal error');
  const reply: ErrorReply = known ? known.toWire() : { kind: 'error', code: 'E_INTERNAL', message: internalErrorMessage(ctx.paths) };
  const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
  if (!known?.audited) {
    try {
      ctx.audit.append(caller.agentId, 'request_rejected', {
        transport: caller.transport,
        request_kind: recordedKind(kind),
        code: reply.code,
        token_prefix: caller.tokenPrefix,
      });
    } catch (auditError) {
      ctx.log.error({ err: auditError }, 'could not audit a refused request');
      const full = asStorageFull(auditError);
      if (full) ctx.storage.release();
      return full?.toWire() ?? { kind: 'error', code: 'E_AUDIT_UNAVAILABLE', message: 'the audit log cannot be written; the request was not served' };
    }
  }
  return reply;
}

function requestIdOf(message: unknown): RequestScope['requestId'] {
  if (typeof message !== 'object' || message === null) return null;
  const parsed = RequestIdSchema.safeParse((message as { id?: unknown }).id);
  return parsed.success ? parsed.data : null;
}
