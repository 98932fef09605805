/**
 * Log lines for a person: `12:03:04.567 WARN  message  key=value ...` (covenantd's stderr on a
 * terminal, `covenant logs` without --json). The log file, and stderr when it is not a terminal
 * (systemd, a pipe), keep pino's JSON lines. No imports: the CLI loads it.
 */
const LEVELS: Record<number, string> = { 10: 'TRACE', 20: 'DEBUG', 30: 'INFO', 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };
const OMITTED = new Set(['level', 'time', 'msg', 'name', 'pid', 'hostname']);

function fieldValue(value: unknown): string {
  return typeof value === 'string' && /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
}

/** One pino JSON line as one human line (continuation lines of a message indented); anything else as it is. */
export function formatLogLine(line: string): string {
  let entry: Record<string, unknown>;
  try {
    entry = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof entry !== 'object' || entry === null) return line;
  const time = typeof entry.time === 'number' ? new Date(entry.time).toISOString().slice(11, 23) : '--:--:--.---';
  const level = (LEVELS[entry.level as number] ?? String(entry.level)).padEnd(5);
  const prefix = `${time} ${level} `;
  const message = (typeof entry.msg === 'string' ? entry.msg : JSON.stringify(entry.msg ?? '')).replace(/\n/g, `\n${' '.repeat(prefix.length)}`);
  const fields = Object.entries(entry)
    .filter(([key]) => !OMITTED.has(key))
    .map(([key, value]) => `${key}=${fieldValue(value)}`);
  return `${prefix}${message}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}\n`;
}
