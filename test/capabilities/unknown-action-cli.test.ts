/** `covenant capabilities grant` refuses an action nobody knows (issue 10, item 3). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempHome } from '../helpers/temp-home.js';

const DECLARES_ACTION = join(REPO_ROOT, 'test', 'fixtures', 'agents', 'declares-action');

test('grant of an unknown action: E_UNKNOWN_ACTION with a did-you-mean, audited; --allow-unknown-action and installed agents admit it', async () => {
  const { home, cleanup } = tempHome();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  const daemon = await spawnDaemon(home, env);
  try {
    const typo = runCli(['capabilities', 'grant', 'memory.raed'], env);
    assert.equal(typo.code, 1);
    assert.equal(typo.stdout, '');
    assert.match(typo.stderr, /unknown action "memory\.raed" \(did you mean memory\.read\?\): .*add --allow-unknown-action \(E_UNKNOWN_ACTION\)/);

    const unknown = runCli(['capabilities', 'grant', 'not.a.real.action', '--json'], env);
    assert.equal(unknown.code, 1);
    assert.equal(unknown.json!.kind, 'error');
    assert.equal(unknown.json!.code, 'E_UNKNOWN_ACTION');
    assert.doesNotMatch(String(unknown.json!.message), /did you mean/);

    const rows = runCli(['audit', 'recent', '--json', '--kind', 'capability_grant_rejected'], env);
    const rejected = (rows.json!.events as Array<{ payload: { action: string; reason: string } }>).map((e) => e.payload);
    assert.deepEqual(rejected.map((p) => p.action).sort(), ['memory.raed', 'not.a.real.action']);
    assert.ok(rejected.every((p) => p.reason.startsWith('unknown action')));
    const recent = runCli(['capabilities', 'recent', '--json'], env);
    assert.ok(!(recent.json!.capabilities as Array<{ action: string }>).some((c) => c.action === 'not.a.real.action'), 'nothing was granted');

    for (const known of ['tool.call.echo', 'memory.repair.*', 'memory.read.working']) {
      const granted = runCli(['capabilities', 'grant', known, '--json'], env);
      assert.equal(granted.code, 0, granted.stdout);
    }
    assert.equal(runCli(['capabilities', 'grant', 'intent.submit.*', '--json'], env).json!.code, 'E_UNKNOWN_ACTION');

    const early = runCli(['capabilities', 'grant', 'research.web', '--allow-unknown-action', '--json'], env);
    assert.equal(early.code, 0, early.stdout);
    assert.equal(early.json!.action, 'research.web');

    assert.equal(runCli(['capabilities', 'grant', 'research.fetch', '--json'], env).json!.code, 'E_UNKNOWN_ACTION');
    const install = runCli(['agents', 'install', DECLARES_ACTION, '--json'], env);
    assert.equal(install.code, 0, install.stdout + install.stderr);
    const declared = runCli(['capabilities', 'grant', 'research.fetch', '--json'], env);
    assert.equal(declared.code, 0, declared.stdout);
  } finally {
    assert.equal(await daemon.stop(), 0);
    cleanup();
  }
});
