import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RUN_TESTS = path.join(REPO, 'scripts/run-tests.mjs');
const TEST_STATS = path.join(REPO, 'scripts/test-stats.mjs');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'covenant-test-stats-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

// What a static count of `test(` calls gets wrong: describe/it, loops, subtests, skips.
const UNIT = `import { describe, it, test } from 'node:test';
describe('group', () => {
  it('a', () => {});
  for (const n of [1, 2, 3]) it(\`row \${n}\`, () => {});
  describe('inner', () => { it('deep', () => {}); });
});
test('with subtests', async (t) => {
  await t.test('sub 1', () => {});
  await t.test('sub 2', () => {});
});
test('skipped', { skip: 'no service here' }, () => {});
`;
const UNIT_2 = `import { test } from 'node:test';
for (const k of ['x', 'y']) test(\`table \${k}\`, () => {});
`;
const LIVE = `import { test } from 'node:test';
for (const k of ['one', 'two']) test(\`live_fixture_\${k}\`, { skip: process.env.COVENANT_LIVE === '1' ? false : 'COVENANT_LIVE unset' }, () => {});
`;

function write(root: string, rel: string, text: string): void {
  fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  fs.writeFileSync(path.join(root, rel), text);
}

function run(script: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const r = spawnSync(process.execPath, [script, ...args], { cwd: REPO, env, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The runner's own closing count (`# tests N` in TAP, `ℹ tests N` in spec). */
function runnerTests(output: string): number {
  const match = /^(?:#|ℹ) tests (\d+)$/m.exec(output);
  assert.ok(match, output);
  return Number(match[1]);
}

test('test-stats counts exactly the tests the runner ran, suite by suite', () => {
  const root = path.join(tmp, 'project');
  write(root, 'test/a/one.test.ts', UNIT);
  write(root, 'test/b/two.test.ts', UNIT_2);
  write(root, 'test/live/live_fixture.test.ts', LIVE);

  const before = run(TEST_STATS, '--root', root, '--json');
  assert.equal(before.code, 1);
  assert.match(before.stderr, /run `npm test` first/);

  const unit = run(RUN_TESTS, 'unit', '--root', root);
  assert.equal(unit.code, 0, unit.stdout + unit.stderr);
  const live = run(RUN_TESTS, 'live', '--root', root);
  assert.equal(live.code, 0, live.stdout + live.stderr);
  const unitCount = runnerTests(unit.stdout);
  const liveCount = runnerTests(live.stdout);
  assert.equal(unitCount, 11, 'group: 5 its, with subtests: 1 + 2, skipped: 1, table: 2');
  assert.equal(liveCount, 2);

  const stats = run(TEST_STATS, '--root', root, '--json');
  assert.equal(stats.code, 0, stats.stderr);
  assert.deepEqual(JSON.parse(stats.stdout), {
    kind: 'test_stats',
    total: unitCount + liveCount,
    mock: unitCount,
    live: liveCount,
    live_share: 15.4,
    live_tests: ['live_fixture_one', 'live_fixture_two'],
  });
});

test('a run limited by a name pattern does not replace the saved count', () => {
  const root = path.join(tmp, 'filtered');
  write(root, 'test/a/one.test.ts', UNIT);
  write(root, 'test/live/live_fixture.test.ts', LIVE);
  assert.equal(run(RUN_TESTS, 'unit', '--root', root).code, 0);
  assert.equal(run(RUN_TESTS, 'live', '--root', root).code, 0);
  const filtered = run(RUN_TESTS, 'live', 'live_fixture_one', '--root', root);
  assert.equal(filtered.code, 0, filtered.stdout);
  const stats = JSON.parse(run(TEST_STATS, '--root', root, '--json').stdout) as { live: number };
  assert.equal(stats.live, 2);
});
