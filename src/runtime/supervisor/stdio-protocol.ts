/**
 * The agent's stdio protocol (SPEC 12), the same for every backend: the daemon writes the intent
 * as one JSON line on the agent's stdin; the agent's answer is a JSON line on its stdout.
 *
 * Host calls (SPEC 12 "Host calls") travel over the same pipes: before its answer an agent with
 * `[agent] host_calls = true` may write request lines `{"call", "id", "params"}` and read the
 * daemon's reply lines `{"id", "result"}` / `{"id", "error"}` on its stdin. The supervisor reads
 * the lines and bounds them; a `HostCallSession` (given with the run request) serves and audits
 * each call. An answer line is told from a call by its `text`.
 */
import { z } from 'zod';
import type { AgentIntent } from '../runner.js';

export const AgentAnswerSchema = z.object({
  text: z.string(),
  sources: z.array(z.string()).optional(),
  files: z.array(z.string()).optional(),
});
export type AgentAnswer = z.infer<typeof AgentAnswerSchema>;

/** Agent → daemon: one host call (`model.chat`, `memory.search`, ...). */
export const HostCallSchema = z.object({
  call: z.string().min(1),
  id: z.number().int().nonnegative(),
  params: z.record(z.string(), z.unknown()).optional(),
});
export type HostCall = z.infer<typeof HostCallSchema>;

/** Daemon → agent: the reply to host call `id`. */
export const HostReplySchema = z.union([
  z.object({ id: z.number().int().nonnegative(), result: z.unknown() }),
  z.object({ id: z.number().int().nonnegative(), error: z.object({ code: z.string(), message: z.string() }) }),
]);
export type HostReply = z.infer<typeof HostReplySchema>;

/** At most this many host calls per intent (SPEC 12); the next is refused with E_HOST_CALL_LIMIT. */
export const MAX_HOST_CALLS_PER_INTENT = 64;

export interface HostCallError {
  code: string;
  message: string;
}
/** What serving one call gives: the reply line without its id. */
export type HostCallOutcome = { result: unknown } | { error: HostCallError };

/** Serves the host calls of one run: checks, runs, audits and meters each call. */
export interface HostCallSession {
  /** Serves one well-formed call; never throws (every failure is an `error` outcome). */
  serve(call: HostCall, signal: AbortSignal): Promise<HostCallOutcome>;
  /** A call the supervisor answered with an error without serving it (malformed, over the limit): audit it. */
  refused(call: { id: number; call: string | null }, error: HostCallError): void;
}

/** One line of a host-calling agent, read. */
export type HostLine =
  | { kind: 'empty' }
  | { kind: 'answer'; answer: AgentAnswer }
  | { kind: 'call'; call: HostCall }
  /** Addressed (an integer id) but not a well-formed call: answered with an error. */
  | { kind: 'bad_call'; id: number; call: string | null; problem: string }
  /** Not JSON, or JSON that is neither an answer nor an addressed call: the run fails. */
  | { kind: 'malformed'; problem: string };

export function readHostLine(line: string): HostLine {
  const trimmed = line.trim();
  if (trimmed === '') return { kind: 'empty' };
  const shown = trimmed.length > SNIPPET_CHARS ? `${trimmed.slice(0, SNIPPET_CHARS)}...` : trimmed;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { kind: 'malformed', problem: `a line that is not JSON: ${JSON.stringify(shown)}` };
  }
  const classified = classifyAgentLine(value);
  if (classified.kind === 'answer') return { kind: 'answer', answer: classified.answer };
  if (classified.kind === 'call') return { kind: 'call', call: classified.call };
  const object = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
  if (object !== null && 'call' in object && Number.isSafeInteger(object.id) && (object.id as number) >= 0) {
    const call = typeof object.call === 'string' ? object.call.slice(0, 64) : null;
    return { kind: 'bad_call', id: object.id as number, call, problem: 'expected {"call": string, "id": integer, "params"?: object}' };
  }
  return { kind: 'malformed', problem: `a line that is neither an answer {"text": ...} nor a host call {"call", "id", "params"}: ${JSON.stringify(shown)}` };
}

/** The reply line to call `id`. */
export function hostReplyLine(id: number, outcome: HostCallOutcome): string {
  return `${JSON.stringify({ id, ...outcome })}\n`;
}

/** What one line the agent wrote is: its answer, a host call, or neither. */
export type AgentLine = { kind: 'answer'; answer: AgentAnswer } | { kind: 'call'; call: HostCall } | { kind: 'other' };

export function classifyAgentLine(value: unknown): AgentLine {
  const answer = AgentAnswerSchema.safeParse(value);
  if (answer.success) return { kind: 'answer', answer: answer.data };
  const call = HostCallSchema.safeParse(value);
  if (call.success) return { kind: 'call', call: call.data };
  return { kind: 'other' };
}

/** The intent as the one line written to the agent's stdin. */
export function intentLine(intent: AgentIntent): string {
  return `${JSON.stringify(intent)}\n`;
}

const SNIPPET_CHARS = 200;

/**
 * `parseAnswer`'s answer as soon as the first non-empty line of `stdout` is complete (whatever
 * follows it cannot change that answer); undefined while it is not, null when it is no answer.
 */
export function completedAnswer(stdout: string): AgentAnswer | null | undefined {
  let start = 0;
  for (let nl = stdout.indexOf('\n'); nl !== -1; nl = stdout.indexOf('\n', start)) {
    if (stdout.slice(start, nl).trim() !== '') {
      const parsed = parseAnswer(stdout.slice(0, nl));
      return parsed.ok ? parsed.answer : null;
    }
    start = nl + 1;
  }
  return undefined;
}

/** Parses the first non-empty stdout line as `{text, sources?, files?}`. */
export function parseAnswer(
  stdout: string,
): { ok: true; answer: AgentAnswer } | { ok: false; problem: string } {
  const line = stdout.split('\n').find((l) => l.trim() !== '');
  const expected = 'expected one JSON line {"text": string, "sources"?: string[], "files"?: string[]} on stdout';
  if (line === undefined) return { ok: false, problem: `printed nothing (${expected})` };
  const trimmed = line.trim();
  const snippet = trimmed.length > SNIPPET_CHARS ? `${trimmed.slice(0, SNIPPET_CHARS)}...` : trimmed;
  const shown = `first line: ${JSON.stringify(snippet)}`;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { ok: false, problem: `not JSON (${expected}); ${shown}` };
  }
  const result = AgentAnswerSchema.safeParse(value);
  if (!result.success) {
    const line = classifyAgentLine(value);
    if (line.kind === 'call') {
      return { ok: false, problem: `a host call (${JSON.stringify(line.call.call)}) came before any answer, and host calls are not served to this agent (${expected}); ${shown}` };
    }
    const first = result.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join('.') : 'answer';
    return { ok: false, problem: `${where}: ${first?.message ?? 'invalid'} (${expected}); ${shown}` };
  }
  const answer: AgentAnswer = { text: result.data.text };
  if (result.data.sources !== undefined) answer.sources = result.data.sources;
  if (result.data.files !== undefined) answer.files = result.data.files;
  return { ok: true, answer };
}
