/** A refusal by a capability's scope names the scope and the fix, not a grant of what the caller holds (issue 10, item 4). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempHome } from '../helpers/temp-home.js';

test('a peer holding intent.submit scoped to hello is told to name --agent hello; a tier-scoped read is told --tier', async () => {
  const { home, cleanup } = tempHome();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  const daemon = await spawnDaemon(home, env);
  try {
    assert.equal(runCli(['agents', 'install', join(REPO_ROOT, 'agents', 'hello'), '--json'], env).code, 0);
    const added = runCli(['peers', 'add', 'bob', '--json'], env);
    assert.equal(added.code, 0, added.stderr);
    const bob = { ...env, COVENANT_TOKEN: String(added.json!.token_b58) };
    for (const [action, scope] of [['intent.submit', '{"agents":["hello"]}'], ['memory.read', '{"tier":"working"}']] as const) {
      const granted = runCli(['capabilities', 'grant', action, '--to', 'bob@peer', '--scope', scope, '--json'], env);
      assert.equal(granted.code, 0, granted.stdout);
    }

    const routed = runCli(['intent', 'hi', 'there'], bob);
    assert.equal(routed.code, 1);
    assert.match(routed.stderr, /you hold intent\.submit \(capability [0-9a-f]{8}\), but its scope does not admit this request: scope limits agents to hello and the request names none; name hello: --agent hello \(E_CAPABILITY_MISSING\)/);
    assert.doesNotMatch(routed.stderr, /grant/);

    const named = runCli(['intent', '--agent', 'hello', 'hi', 'there', '--json'], bob);
    assert.equal(named.code, 0, named.stdout);
    assert.equal(named.json!.agent, 'hello');

    const read = runCli(['memory', 'recent', '--json'], bob);
    assert.equal(read.code, 1);
    assert.equal(read.json!.code, 'E_CAPABILITY_MISSING');
    assert.match(String(read.json!.message), /scope limits tier to working, not episodic; use working \(--tier working\), or ask for a grant that covers episodic$/);
    assert.equal(runCli(['memory', 'recent', '--tier', 'working', '--json'], bob).code, 0);

    const checks = runCli(['audit', 'recent', '--json', '--kind', 'capability_check', '-n', '1000'], env).json!.events as Array<{
      issuer: { display: string };
      payload: { required: string; passed: boolean; reason: string | null };
    }>;
    const refused = checks.filter((e) => e.issuer.display === 'bob@peer' && !e.payload.passed).map((e) => e.payload);
    assert.ok(refused.some((p) => p.required === 'intent.submit' && /scope limits agents to hello/.test(p.reason ?? '')), JSON.stringify(refused));

    const stranger = runCli(['audit', 'recent', '--json'], bob);
    assert.match(String(stranger.json!.message), /missing capability audit\.read; grant it with: covenant capabilities grant audit\.read --to bob@peer/);
  } finally {
    assert.equal(await daemon.stop(), 0);
    cleanup();
  }
});
