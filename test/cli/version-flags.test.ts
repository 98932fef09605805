/** Issue 10 item 2: `--version` prints the version and exits 0 on both binaries, as every CLI does. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { COVENANT_VERSION } from '../../src/core/version.js';
import { DAEMON_BIN, runCli } from '../helpers/binaries.js';

test('covenant --version, -v and -V print the CLI version and exit 0', () => {
  for (const flag of ['--version', '-v', '-V']) {
    const result = runCli([flag], { ...process.env, COVENANT_HOME: '/nonexistent-covenant-home' });
    assert.equal(result.code, 0, `${flag}: ${result.stderr}`);
    assert.equal(result.stdout, `${COVENANT_VERSION}\n`, flag);
    assert.equal(result.stderr, '', flag);
  }
});

test('covenantd --version prints the daemon version and exits 0 without touching a home', () => {
  const result = spawnSync(process.execPath, [DAEMON_BIN, '--version'], {
    env: { ...process.env, COVENANT_HOME: '/nonexistent-covenant-home' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 0, result.stderr);
  assert.equal(result.stdout, `${COVENANT_VERSION}\n`);
});
