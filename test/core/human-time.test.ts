/** Issue 10 item 9: the one formatter of times and durations. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatDuration, formatRelative, formatTime } from '../../src/core/human-time.js';

test('formatDuration: at most two units, seconds rounded up, a zero second unit dropped', () => {
  const cases: Array<[number, string]> = [
    [0, '0ms'],
    [850, '850ms'],
    [1000, '1s'],
    [1500, '2s'],
    [42_000, '42s'],
    [60_000, '1m'],
    [312_000, '5m 12s'],
    [3_600_000, '1h'],
    [3_600_000 + 30_000, '1h'],
    [11_040_000, '3h 4m'],
    [2 * 86_400_000 + 5 * 3_600_000, '2d 5h'],
    [Infinity, 'forever'],
  ];
  for (const [ms, expected] of cases) assert.equal(formatDuration(ms), expected, String(ms));
});

test('formatRelative and formatTime: "in 5m", "3h ago", "now"; ISO 8601 in UTC, whole seconds', () => {
  const now = Date.UTC(2026, 11, 6, 2, 10, 0, 500);
  assert.equal(formatRelative(now + 300_000, now), 'in 5m');
  assert.equal(formatRelative(now - 3 * 3_600_000, now), '3h ago');
  assert.equal(formatRelative(now + 400, now), 'now');
  assert.equal(formatTime(now - 3 * 3_600_000, now), '2026-12-05T23:10:00Z (3h ago)');
  assert.equal(formatTime(now + 300_000, now), '2026-12-06T02:15:00Z (in 5m)');
});
