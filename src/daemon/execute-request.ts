import { z } from 'zod';
import { CovenantError } from '../core/index.js';
import { isRequestKind, requestDefinition, type WireMessage } from '../ipc/index.js';
import { asStorageFull } from '../store/index.js';
import type { Caller } from './caller.js';
import type { DaemonContext } from './context.js';
import { HANDLERS } from './handlers/index.js';

type ErrorReply = { kind: 'error'; code: string; message: string };
export type Reply = WireMessage | ErrorReply;

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * Runs one authenticated request: the same path for the socket and the HTTP gateway.
 * Parse -> authorize -> handle. Every refusal writes one audit row.
 */
export async function executeRequest(ctx: DaemonContext, caller: Caller, message: unknown): Promise<Reply> {
  try {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new CovenantError('E_BAD_REQUEST', 'a request must be a JSON object with a "kind" field');
    }
    const { kind, id: _id, ...rest } = message as Record<string, unknown>;
    if (typeof kind !== 'string' || !isRequestKind(kind)) {
      throw new CovenantError(
        'E_UNKNOWN_KIND',
        `unknown request kind ${JSON.stringify(kind)}; compare versions with \`covenant version\` (this daemon speaks covenant.ipc v1)`,
      );
    }
    const definition = requestDefinition(kind);
    const parsed = definition.params.safeParse(rest);
    if (!parsed.success) {
      throw new CovenantError('E_BAD_REQUEST', `invalid ${kind} request: ${describeIssues(parsed.error)}`);
    }
    ctx.authorizer.require(caller, definition.authorize(parsed.data), kind);
    const handler = HANDLERS[kind] as (params: unknown, caller: Caller, ctx: DaemonContext) => unknown;
    return (await handler(parsed.data, caller, ctx)) as Reply;
  } catch (error) {
    return refusal(ctx, caller, message, error);
  }
}

function refusal(ctx: DaemonContext, caller: Caller, message: unknown, error: unknown): ErrorReply {
  const known = error instanceof CovenantError ? error : asStorageFull(error);
  if (!known) {
    ctx.log.error({ err: error, transport: caller.transport }, 'request failed with an internal error');
  }
  const reply: ErrorReply = known
    ? known.toWire()
    : { kind: 'error', code: 'E_INTERNAL', message: `internal error; details are in ${ctx.paths.daemonLog}` };
  const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
  if (!known?.audited) {
    try {
      ctx.audit.append(caller.agentId, 'request_rejected', {
        transport: caller.transport,
        request_kind: typeof kind === 'string' ? kind.slice(0, 64) : null,
        code: reply.code,
        token_prefix: caller.tokenPrefix,
      });
    } catch (auditError) {
      ctx.log.error({ err: auditError }, 'could not audit a refused request');
      return asStorageFull(auditError)?.toWire() ?? { kind: 'error', code: 'E_AUDIT_UNAVAILABLE', message: 'the audit log cannot be written; the request was not served' };
    }
  }
  return reply;
}
