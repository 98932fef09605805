import { redact } from './redact.js';

/** The most characters of a caller's input any message quotes. */
export const MAX_QUOTED_CHARS = 200;
/** Longer than any token or signature, so a token that crosses the cut is still recognised. */
const REDACT_MARGIN = 128;

/**
 * A caller's input as a message may quote it: a JSON string literal of at most
 * MAX_QUOTED_CHARS characters of it, then `…(N more characters)` when it was longer. A value
 * that is not a string shows as its JSON text, cut the same way. Token-shaped runs are cut to
 * 6 characters (redact): a caller's input may be a secret. Never throws; the result stays small
 * whatever the input.
 */
export function quoteInput(value: unknown, max = MAX_QUOTED_CHARS): string {
  const isString = typeof value === 'string';
  const { shown, more } = head(isString ? value : jsonText(value), max);
  const quoted = isString ? JSON.stringify(shown) : shown;
  return more > 0 ? `${quoted}…(${more} more characters)` : quoted;
}

/** Text for a message, redacted and cut to `max` characters with the same marker as quoteInput (not quoted). */
export function cutInput(input: string, max = MAX_QUOTED_CHARS): string {
  const { shown, more } = head(input, max);
  return more > 0 ? `${shown}…(${more} more characters)` : shown;
}

/** The redacted first `max` characters of `text` (never half a surrogate pair) and how many are left out. */
function head(text: string, max: number): { shown: string; more: number } {
  const redacted = redact(text.length > max + REDACT_MARGIN ? text.slice(0, max + REDACT_MARGIN) : text);
  const total = redacted.length + (text.length - Math.min(text.length, max + REDACT_MARGIN));
  if (total <= max) return { shown: redacted, more: 0 };
  const end = isHighSurrogate(redacted.charCodeAt(max - 1)) ? max - 1 : max;
  return { shown: redacted.slice(0, end), more: total - end };
}

function jsonText(value: unknown): string {
  if (value === undefined) return 'undefined';
  try {
    return JSON.stringify(value) ?? String(typeof value);
  } catch {
    return `(a ${typeof value})`;
  }
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
