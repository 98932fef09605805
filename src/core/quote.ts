/** The most characters of a caller's input any message quotes. */
export const MAX_QUOTED_CHARS = 200;

/**
 * A caller's input as a message may quote it: a JSON string literal of at most
 * MAX_QUOTED_CHARS characters of it, then `…(N more characters)` when it was longer. A value
 * that is not a string shows as its JSON text, cut the same way. Never throws; the result stays
 * small whatever the input (200 characters of it, escaped, and the marker).
 */
export function quoteInput(value: unknown, max = MAX_QUOTED_CHARS): string {
  const isString = typeof value === 'string';
  const text = isString ? value : jsonText(value);
  if (text.length <= max) return isString ? JSON.stringify(text) : text;
  // Do not cut a surrogate pair in two.
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  const shown = text.slice(0, end);
  return `${isString ? JSON.stringify(shown) : shown}…(${text.length - end} more characters)`;
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

/** Text for a message, cut to `max` characters with the same marker as quoteInput (not quoted). */
export function cutInput(text: string, max = MAX_QUOTED_CHARS): string {
  if (text.length <= max) return text;
  const end = isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max;
  return `${text.slice(0, end)}…(${text.length - end} more characters)`;
}
