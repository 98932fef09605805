/** `covenant intent` that no installed agent matches (SPEC 12, issue 10 item 5). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempHome } from '../helpers/temp-home.js';

test('an unmatched intent exits 0 with status "unrouted", says how to install or name an agent, charges nothing, audits intent_unrouted', async () => {
  const { home, cleanup } = tempHome();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  const daemon = await spawnDaemon(home, env);
  try {
    const none = runCli(['intent', 'zyzzyva', 'quux'], env);
    assert.equal(none.code, 0, none.stderr);
    assert.equal(none.stderr, '');
    assert.match(none.stdout, /^no agent is installed, so none could take this intent; install one with `covenant agents install <dir>`/);
    assert.doesNotMatch(none.stdout, /phase 0|echo/);

    assert.equal(runCli(['agents', 'install', join(REPO_ROOT, 'agents', 'hello'), '--json'], env).code, 0);
    const unmatched = runCli(['intent', 'zyzzyva', 'quux', '--json'], env);
    assert.equal(unmatched.code, 0);
    const reply = unmatched.json!;
    assert.equal(reply.kind, 'intent_result');
    assert.equal(reply.status, 'unrouted');
    assert.equal(reply.agent, null);
    assert.equal(reply.settlement, null);
    assert.match(String(reply.text), /installed: hello\); name one with `covenant intent --agent <id> <text>`, or install one/);

    const receipts = runCli(['receipts', 'recent', '--json'], env);
    assert.equal(receipts.code, 0, receipts.stdout);
    assert.equal((receipts.json!.receipts as unknown[]).length, 0, 'nothing is charged');
    const rows = runCli(['audit', 'recent', '--json', '--kind', 'intent_unrouted'], env).json!.events as Array<{ payload: Record<string, unknown> }>;
    assert.deepEqual(rows.map((r) => r.payload.agents_installed), [1, 0]);
    assert.equal(rows[0]!.payload.intent_id, reply.intent_id);
  } finally {
    assert.equal(await daemon.stop(), 0);
    cleanup();
  }
});
