// Dependency-free: the CLI prints times with it, the daemon words its messages with it.
/**
 * The one human form of times and durations (issue 10 item 9). JSON keeps epoch milliseconds;
 * people read `2026-12-06T02:10:00Z (in 5m)` and `3h 4m`.
 */

const UNITS: Array<[suffix: string, seconds: number]> = [
  ['d', 86_400],
  ['h', 3_600],
  ['m', 60],
  ['s', 1],
];

/** A length of time, at most two units: `850ms`, `42s`, `5m`, `5m 12s`, `3h 4m`, `2d 5h`. Seconds round up. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'forever';
  const abs = Math.abs(ms);
  if (abs < 1000) return `${Math.round(abs)}ms`;
  let rest = Math.ceil(abs / 1000);
  const parts: string[] = [];
  for (const [suffix, seconds] of UNITS) {
    const count = Math.floor(rest / seconds);
    rest -= count * seconds;
    if (count > 0 || parts.length > 0) parts.push(`${count}${suffix}`);
    if (parts.length === 2) break;
  }
  if (parts.length === 2 && parts[1]!.startsWith('0')) parts.pop();
  return parts.join(' ');
}

/** `in 5m`, `3h ago`, `now`: a point in time relative to `now`. */
export function formatRelative(atMs: number, now: number): string {
  const delta = atMs - now;
  if (Math.abs(delta) < 1000) return 'now';
  return delta > 0 ? `in ${formatDuration(delta)}` : `${formatDuration(delta)} ago`;
}

/** ISO 8601 (UTC, whole seconds) plus the relative form: `2026-12-06T02:10:00Z (3h ago)`. */
export function formatTime(atMs: number, now: number = Date.now()): string {
  return `${new Date(atMs).toISOString().replace(/\.\d{3}Z$/, 'Z')} (${formatRelative(atMs, now)})`;
}
