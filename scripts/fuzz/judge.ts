import type { DecodedFrame } from '../../src/ipc/framing.js';
import { isRefusalRow as isRefusalEvent } from '../../src/audit/index.js';
import { isErrorCode, statusOf } from '../../src/core/errors.js';

/** An audit row that records a refusal (the catalogue's rule, src/audit/refusal-rows.ts); a refused request must leave one. */
export function isRefusalRow(kind: string, payload: string): boolean {
  return isRefusalEvent(kind, parsed(payload));
}

function parsed(payload: string): Record<string, unknown> | null {
  try {
    const value = JSON.parse(payload) as unknown;
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export interface IpcVerdict {
  refusal: boolean;
  internal: boolean;
  /** Why the answer is not a well-formed reply (null when it is). */
  shapeProblem: string | null;
  /** The answer's text when it is a refusal (searched for leaked tokens). */
  refusalText: string | null;
}

const ERROR_KEYS = new Set(['kind', 'code', 'message', 'id']);

/** Judges one frame covenantd sent: a JSON object with a kind; an error exactly {kind, code, message[, id]}. */
export function judgeIpcReply(frame: DecodedFrame): IpcVerdict {
  if (frame.type !== 'message') return { refusal: false, internal: false, shapeProblem: `daemon sent ${frame.type === 'too_large' ? 'an oversized frame' : 'invalid JSON'}`, refusalText: null };
  const value = frame.value;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { refusal: false, internal: false, shapeProblem: 'reply is not a JSON object', refusalText: null };
  const reply = value as Record<string, unknown>;
  if (typeof reply.kind !== 'string') return { refusal: false, internal: false, shapeProblem: 'reply has no string kind', refusalText: null };
  if (reply.kind === 'authentication_failed') {
    return { refusal: true, internal: false, shapeProblem: typeof reply.reason === 'string' ? null : 'authentication_failed without a reason', refusalText: withoutEchoedId(reply) };
  }
  if (reply.kind !== 'error') return { refusal: false, internal: false, shapeProblem: null, refusalText: null };
  return { refusal: true, internal: reply.code === 'E_INTERNAL', shapeProblem: errorShapeProblem(reply), refusalText: withoutEchoedId(reply) };
}

export function errorShapeProblem(reply: Record<string, unknown>): string | null {
  if (reply.kind !== 'error') return `error reply of kind ${JSON.stringify(reply.kind)}`;
  if (typeof reply.code !== 'string' || !/^E_[A-Z_]+$/.test(reply.code)) return `error code ${JSON.stringify(reply.code)?.slice(0, 40)} is not E_*`;
  if (!isErrorCode(reply.code)) return `error code ${reply.code} is not in the catalogue`;
  if (typeof reply.message !== 'string' || reply.message.length === 0) return 'error without a message';
  const extra = Object.keys(reply).filter((k) => !ERROR_KEYS.has(k));
  if (extra.length > 0) return `error reply has extra fields ${extra.join(', ')}`;
  return null;
}

export interface HttpVerdict {
  refusal: boolean;
  internal: boolean;
  shapeProblem: string | null;
  refusalText: string | null;
}

/** Judges one HTTP answer: every status >= 400 is a JSON error object whose code maps to that status. */
export function judgeHttpReply(method: string, status: number, contentType: string | undefined, body: Buffer): HttpVerdict {
  if (status < 400) return { refusal: false, internal: false, shapeProblem: null, refusalText: null };
  const text = body.toString('utf8');
  if (method === 'HEAD') return { refusal: true, internal: status === 500, shapeProblem: null, refusalText: null };
  if (!contentType?.toLowerCase().startsWith('application/json')) return { refusal: true, internal: status === 500, shapeProblem: `status ${status} with content-type ${contentType ?? 'none'}`, refusalText: text };
  let reply: unknown;
  try {
    reply = JSON.parse(text);
  } catch {
    return { refusal: true, internal: status === 500, shapeProblem: `status ${status} body is not JSON`, refusalText: text };
  }
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return { refusal: true, internal: status === 500, shapeProblem: `status ${status} body is not an object`, refusalText: text };
  const error = reply as Record<string, unknown>;
  const problem = errorShapeProblem(error) ?? (statusOf(String(error.code)) === status ? null : `status ${status} for ${String(error.code)} (catalogue: ${statusOf(String(error.code))})`);
  return { refusal: true, internal: error.code === 'E_INTERNAL', shapeProblem: problem, refusalText: text };
}

/** Full tokens found in a text (only tokens long enough that a hit is no accident). */
export function leakedTokens(text: string, tokens: Iterable<string>): string[] {
  const found: string[] = [];
  for (const token of tokens) if (token.length >= 20 && text.includes(token)) found.push(token);
  return found;
}

/**
 * What the audit rows written for one case say: refusals answered beyond the refusal rows
 * written are unaudited; rows holding a full token are leaks.
 */
export function auditFindings(rows: ReadonlyArray<{ kind: string; payload: string }>, refusals: number, tokens: Iterable<string>): { unaudited: number; leakingRows: string[] } {
  const known = [...tokens];
  let refusalRows = 0;
  const leakingRows: string[] = [];
  for (const row of rows) {
    if (isRefusalRow(row.kind, row.payload)) refusalRows += 1;
    if (leakedTokens(row.payload, known).length > 0) leakingRows.push(row.kind);
  }
  return { unaudited: Math.max(0, refusals - refusalRows), leakingRows };
}

/** The reply as searched for leaked tokens: the request's own `id`, echoed back to the connection that chose it, is correlation, not a leak. */
function withoutEchoedId(reply: Record<string, unknown>): string {
  const { id: _id, ...rest } = reply;
  return JSON.stringify(rest);
}
