import { z } from 'zod';
import { RequestRows, runWithRequestRows } from '../audit/index.js';
import { CovenantError, cutInput, quoteInput, recordedKind } from '../core/index.js';
import { isRequestKind, requestDefinition, requestIdOf, type RequestDefinition, type RequestKind } from '../protocol/index.js';
import type { Caller } from './caller.js';
import type { DaemonContext } from './context.js';
import { HANDLERS } from './handlers/index.js';
import type { RequestScope } from './scope.js';
import { checkRequestShape } from './request-shape.js';
import { parseParams } from './parse-params.js';
import { asRefusal, recordRefusal } from './refusal.js';

type ErrorReply = { kind: 'error'; code: string; message: string };
export type Reply = { kind: string; [key: string]: unknown };

function describeIssues(error: z.ZodError): string {
  // Paths and messages may carry a caller's keys (an unrecognised key, a record key): cut each.
  return error.issues
    .slice(0, 5)
    .map((issue) => cutInput(issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/**
 * Runs one authenticated request: the same path for the socket and the HTTP gateway.
 * Parse -> authorize -> handle. Every refusal writes one audit row. The request commits once:
 * its checks' rows are written with its change (or alone at its end, audit/request-rows.ts),
 * and it is answered only once that is committed (the group commit, store/group-commit.ts).
 * A kind declared `requestRows: false` has no checks' rows to defer and runs without the scope.
 * The reply comes at once (not a Promise) when it was made synchronously and nothing written is
 * left to commit (most reads): the gateway then answers without an event-loop hop.
 */
export function executeRequest(ctx: DaemonContext, caller: Caller, message: unknown, signal: AbortSignal): Reply | Promise<Reply> {
  const definition = definitionOf(message);
  if (definition?.requestRows === false) {
    try {
      return committedReply(ctx, caller, message, null, serve(ctx, caller, message, definition, signal));
    } catch (error) {
      // Only a refusal path that itself failed throws here: a rejection, as from any other request.
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }
  const rows = new RequestRows();
  return runWithRequestRows(rows, async () => committedReply(ctx, caller, message, rows, serve(ctx, caller, message, definition, signal)));
}

/** The definition of a message's kind; null for a malformed or unknown request (refused under the scope, as any). */
function definitionOf(message: unknown): RequestDefinition | null {
  const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
  return typeof kind === 'string' && isRequestKind(kind) ? requestDefinition(kind) : null;
}

/** `committed` once the reply is there; a reply given at once (most reads) waits for no extra turn. */
function committedReply(ctx: DaemonContext, caller: Caller, message: unknown, rows: RequestRows | null, reply: Reply | Promise<Reply>): Reply | Promise<Reply> {
  return reply instanceof Promise ? reply.then((value) => committed(ctx, caller, message, rows, value)) : committed(ctx, caller, message, rows, reply);
}

/**
 * A request's end: its deferred rows written (in one transaction, when no change took them
 * along), then the answer held until they and its change are committed (a read without rows
 * still waits for the open group: what it read may be in it). When that fails, the answer is
 * the refusal of the failure instead. Nothing left to commit: the reply itself, at once.
 */
function committed(ctx: DaemonContext, caller: Caller, message: unknown, rows: RequestRows | null, reply: Reply): Reply | Promise<Reply> {
  try {
    if (rows !== null) ctx.audit.writeRequestRows(rows);
  } catch (error) {
    return refusedAfter(ctx, caller, message, error);
  }
  if (ctx.commits.settledNow) return reply;
  return ctx.commits.durable().then(
    () => reply,
    (error: unknown) => refusedAfter(ctx, caller, message, error),
  );
}

/** The refusal of a request whose rows or commit failed: its own row is attempted; the answer is an error whether or not that row commits. */
async function refusedAfter(ctx: DaemonContext, caller: Caller, message: unknown, error: unknown): Promise<Reply> {
  const refused = refusal(ctx, caller, message, error);
  await ctx.commits.durable().catch(() => undefined);
  return refused;
}

/** Parse -> authorize -> handle; a refusal is answered as a reply. Synchronous as far as the handler is. */
function serve(ctx: DaemonContext, caller: Caller, message: unknown, definition: RequestDefinition | null, signal: AbortSignal): Reply | Promise<Reply> {
  const scope: RequestScope = { caller, signal, requestId: requestIdOf(message) };
  try {
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw new CovenantError('E_BAD_REQUEST', 'a request must be a JSON object with a "kind" field');
    }
    const { kind, id: _id, ...rest } = message as Record<string, unknown>;
    if (definition === null) {
      throw new CovenantError(
        'E_UNKNOWN_KIND',
        `unknown request kind ${quoteInput(kind)}; compare versions with \`covenant version\` (this daemon speaks covenant.ipc v1)`,
      );
    }
    checkRequestShape(definition.kind, rest);
    const parsed = parseParams(definition, rest);
    if (!parsed.success) {
      throw new CovenantError('E_BAD_REQUEST', `invalid ${definition.kind} request: ${describeIssues(parsed.error)}`);
    }
    if (definition.mutates) ctx.storage.admitWrite();
    ctx.authorizer.require(caller, definition.authorize(parsed.data), definition.kind);
    const handler = HANDLERS[definition.kind as RequestKind] as (params: unknown, scope: RequestScope, ctx: DaemonContext) => Reply | Promise<Reply>;
    const reply = handler(parsed.data, scope, ctx);
    return reply instanceof Promise ? reply.catch((error: unknown) => refusal(ctx, caller, message, error)) : reply;
  } catch (error) {
    return refusal(ctx, caller, message, error);
  }
}

/** A refused request, through the one refusal path: its audit row written, the error to answer. */
function refusal(ctx: DaemonContext, caller: Caller, message: unknown, error: unknown): ErrorReply {
  const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
  const site = { transport: caller.transport, issuer: caller.agentId, tokenPrefix: caller.tokenPrefix, requestKind: recordedKind(kind) };
  return recordRefusal(ctx, asRefusal(ctx, error, site), site).toWire();
}
