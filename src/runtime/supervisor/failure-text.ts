/** Agent output quoted in failure messages: one line, control characters replaced, bounded. */

/** At most this many characters of stderr are quoted. */
export const STDERR_QUOTE_CHARS = 500;

/** Makes text safe to embed in a one-line message: control characters become '?'. */
export function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/**
 * The informative part of a stderr tail, on one line: the first lines, the first line that
 * looks like the error, and the last line. When that is still too long its end is kept, where
 * both a crashing interpreter and a nested sandbox error put the cause.
 */
export function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => sanitize(line).trim())
    .filter((line) => line !== '');
  let picked = lines;
  if (lines.length > 6) {
    const errorLine = lines.findIndex((line) => /(Error|Exception)\b|^error\b/i.test(line));
    picked = [...lines.slice(0, 2)];
    if (errorLine >= 2) picked.push('…', lines[errorLine] as string);
    picked.push('…', lines[lines.length - 1] as string);
  }
  const text = picked.join(' | ');
  return text.length > STDERR_QUOTE_CHARS ? `…${text.slice(text.length - STDERR_QUOTE_CHARS + 1)}` : text;
}
