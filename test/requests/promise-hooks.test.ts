/**
 * The deferred-rows storage (audit/request-rows.ts) installs promise hooks only while a request
 * with rows is being served: rowless reads never install them, and they are gone once the
 * checked requests have ended. Probed in a child process (see the child's comment).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../helpers/binaries.js';

const CHILD = join(REPO_ROOT, 'test', 'requests', 'fixtures', 'promise-hooks-child.ts');

test('promise hooks are installed only while a checked request is served', { timeout: 120_000 }, () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 110_000 });
  assert.equal(child.status, 0, child.stderr);
  const steps = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
  assert.deepEqual(steps, {
    atStart: false,
    httpStatus: 200,
    afterRowlessReads: false,
    duringChecked: true,
    afterChecked: false,
    afterConcurrentChecked: false,
  });
});
