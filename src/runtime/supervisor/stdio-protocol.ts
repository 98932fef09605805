/**
 * The agent's stdio protocol (SPEC 12), the same for every backend: the daemon writes the intent
 * as one JSON line on the agent's stdin; the agent's answer is a JSON line on its stdout.
 *
 * Host calls (SPEC 12 "Host calls") travel over the same pipes: before its answer an agent with
 * `[agent] host_calls = true` may write request lines `{"call", "id", "params"}` and read the
 * daemon's reply lines `{"id", "result"}` / `{"id", "error"}` on its stdin. They are not served
 * yet; their line shapes are declared here so that serving them means adding a handler map to
 * the supervisor, not touching a backend. An answer line is told from a call by its `text`.
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
