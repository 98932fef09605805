/** `covenant status`: the daemon at a glance for the operator; a peer is refused like any operator-only request. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempHome } from '../helpers/temp-home.js';

test('covenant status shows version, uptime, agents, paused intents and the audit head; a peer is refused', async () => {
  const { home, cleanup } = tempHome();
  const env: NodeJS.ProcessEnv = { ...process.env, COVENANT_HOME: home };
  delete env.COVENANT_TOKEN;
  const daemon = await spawnDaemon(home, env);
  try {
    const status = runCli(['status', '--json'], env);
    assert.equal(status.code, 0, status.stderr);
    const json = status.json!;
    assert.equal(json.kind, 'daemon_status');
    assert.equal(json.pid, daemon.child.pid);
    assert.equal(json.protocol_version, 1);
    assert.equal(json.agents, 0);
    assert.equal(json.paused_intents, 0);
    assert.ok(Number(json.uptime_ms) > 0);
    const head = json.audit_head as { seq: number; chain_hash: string };
    assert.ok(head.seq > 0, 'start-up writes audit rows');
    assert.match(head.chain_hash, /^[0-9a-f]{64}$/);

    const human = runCli(['status'], env);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^covenantd \S+ \(protocol v1\), pid \d+, up /m);
    assert.match(human.stdout, /^agents installed: 0$/m);
    assert.match(human.stdout, /^audit head: seq \d+, chain [0-9a-f]{16}…, at \d{4}-\d\d-\d\dT/m);

    const added = runCli(['peers', 'add', 'bob', '--json'], env);
    assert.equal(added.code, 0, added.stderr);
    const asPeer = runCli(['status', '--json'], { ...env, COVENANT_TOKEN: String(added.json!.token_b58) });
    assert.equal(asPeer.code, 1);
    assert.equal(asPeer.json!.kind, 'error');
    assert.match(String(asPeer.json!.code), /^E_/);
    assert.match(String(asPeer.json!.message), /operator/);
  } finally {
    assert.equal(await daemon.stop(), 0);
    cleanup();
  }
});
