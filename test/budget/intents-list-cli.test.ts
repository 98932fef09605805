/** `covenant intents list|show` and `budget status` keep paused intents in view (issue 10, item 13). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT, runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempHome } from '../helpers/temp-home.js';

type Summary = { intent_id: string; status: string; agent: string | null; caller: { display: string } };

test('paused intents stay visible after budget set 0; intents list filters by status; intents show gives rows, receipts, checkpoint', async () => {
  const { home, cleanup } = tempHome();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  let daemon = await spawnDaemon(home, env);
  try {
    assert.equal(runCli(['agents', 'install', join(REPO_ROOT, 'agents', 'hello'), '--json'], env).code, 0);
    assert.equal(runCli(['budget', 'set', 'hello', '1', '--json'], env).code, 0);
    assert.equal(runCli(['intent', '--agent', 'hello', 'first', '--json'], env).code, 0);
    for (let i = 0; i < 2; i += 1) {
      const paused = runCli(['intent', '--agent', 'hello', `paused ${i}`, '--json'], env);
      assert.equal(paused.json!.code, 'E_BUDGET_EXHAUSTED', paused.stdout);
    }
    assert.equal(runCli(['intent', 'zyzzyva'], env).code, 0);
    assert.equal(runCli(['budget', 'set', 'hello', '0', '--json'], env).code, 0);

    const status = runCli(['budget', 'status'], env);
    assert.equal(status.code, 0);
    assert.match(status.stdout, /^hello\tno budget \(unlimited\)\t2 paused: resume them with `covenant intents resume <id>`$/m);
    assert.match(status.stdout, /^list paused intents with: covenant intents list --status paused$/m);
    assert.deepEqual(runCli(['budget', 'status', '--json'], env).json!.paused_without_budget, [{ agent: 'hello', paused_intents: 2 }]);

    // The list survives a restart: it is read from the audit log.
    await daemon.stop();
    daemon = await spawnDaemon(home, env);
    const all = runCli(['intents', 'list', '--json'], env).json!.intents as Summary[];
    assert.deepEqual(all.map((i) => i.status), ['unrouted', 'paused', 'paused', 'ok']);
    const paused = runCli(['intents', 'list', '--status', 'paused', '--json'], env).json!;
    assert.equal(paused.status, 'paused');
    assert.deepEqual((paused.intents as Summary[]).map((i) => [i.status, i.agent]), [['paused', 'hello'], ['paused', 'hello']]);
    const human = runCli(['intents', 'list', '--status', 'unrouted'], env);
    assert.match(human.stdout, /^[0-9a-f]{8}\tunrouted\t-\tuser@local\t\d{4}-\d\d-\d\dT/m);
    assert.equal(runCli(['intents', 'list', '--status', 'bogus'], env).code, 2);

    const id = (paused.intents as Summary[])[0]!.intent_id;
    const shown = runCli(['intents', 'show', id.slice(0, 8), '--json'], env);
    assert.equal(shown.code, 0, shown.stdout);
    const detail = shown.json!;
    assert.equal((detail.intent as Summary).intent_id, id);
    assert.deepEqual((detail.events as Array<{ kind: string }>).map((e) => e.kind), ['budget_exhausted']);
    assert.deepEqual(detail.receipts, []);
    assert.equal((detail.checkpoint as { reason: string }).reason, 'exhausted');
    const text = runCli(['intents', 'show', id], env).stdout;
    assert.match(text, new RegExp(`checkpoint: exhausted, .*resume with \`covenant intents resume ${id}\``));

    const ok = (all.find((i) => i.status === 'ok'))!;
    const okDetail = runCli(['intents', 'show', ok.intent_id, '--json'], env).json!;
    assert.deepEqual((okDetail.receipts as Array<{ resource: string }>).map((r) => r.resource), ['compute']);

    const added = runCli(['peers', 'add', 'bob', '--json'], env);
    const bob = { ...env, COVENANT_TOKEN: String(added.json!.token_b58) };
    assert.deepEqual(runCli(['intents', 'list', '--json'], bob).json!.intents, [], 'a peer sees only its own intents');
    assert.equal(runCli(['intents', 'show', id, '--json'], bob).json!.code, 'E_NOT_FOUND');
  } finally {
    assert.equal(await daemon.stop(), 0);
    cleanup();
  }
});
