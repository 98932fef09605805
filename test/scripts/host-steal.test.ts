import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSteal, parseProcStat, stealShare } from '../../scripts/bench/host-steal.js';

const STAT = ['cpu  2025225 365 294567 1746547 13182 0 70723 35479 0 0', 'cpu0 1012612 182 147283 873273 6591 0 35361 17739 0 0', 'intr 1 2 3'].join('\n');

test('reads the aggregate cpu line: steal is the eighth field, the total the sum of the first eight', () => {
  assert.deepEqual(parseProcStat(STAT), { steal: 35479, total: 2025225 + 365 + 294567 + 1746547 + 13182 + 0 + 70723 + 35479 });
});

test('refuses a text without the aggregate line, or with a field that is not a number', () => {
  assert.throws(() => parseProcStat('cpu0 1 2 3 4 5 6 7 8\n'), /no aggregate "cpu " line/);
  assert.throws(() => parseProcStat('cpu  1 2 3 x 5 6 7 8\n'), /unreadable/);
  assert.throws(() => parseProcStat('cpu  1 2 3\n'), /unreadable/);
});

test('the steal share is the steal ticks over all ticks between two readings', () => {
  assert.equal(stealShare({ steal: 100, total: 1000 }, { steal: 150, total: 2000 }), 0.05);
  assert.equal(stealShare({ steal: 100, total: 1000 }, { steal: 100, total: 1000 }), 0);
});

test('one line names every bench with its share in percent', () => {
  assert.equal(
    formatSteal({ idle: 0.001, 'ipc-ping': 0.1234 }),
    "host steal (the hypervisor's share of all vCPUs' time while each bench ran, /proc/stat): idle 0.1 %, ipc-ping 12.3 %",
  );
});
