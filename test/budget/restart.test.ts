import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../../src/daemon/index.js';
import { IpcClient } from '../../src/ipc/index.js';
import { tempDir } from '../helpers/temp-home.js';
import { writeFixtureAgent } from './daemon-helpers.js';

test('daemon start seeds .covenantignore and configures budgets of installed agents; operator settings survive restarts', async () => {
  const { dir, cleanup } = tempDir('covenant-budget-restart-');
  const home = join(dir, 'home');
  const packages = join(dir, 'packages');
  mkdirSync(packages);
  const env = { PATH: process.env.PATH, HOME: dir };
  try {
    let daemon = await startDaemon({ home, agentRuntime: { env, killGraceMs: 300 } });
    assert.equal(statSync(join(home, '.covenantignore')).mode & 0o777, 0o600);
    const token = readFileSync(daemon.paths.operatorToken, 'utf8').trim();
    let client = await IpcClient.connect(daemon.paths.sock);
    await client.authenticate(token);
    for (const [id, rate] of [['alpha', 5], ['beta', 7]] as const) {
      const reply = await client.request({ kind: 'agents_install', dir: writeFixtureAgent(packages, id, { creditsPerHour: rate }) });
      assert.equal(reply.kind, 'agent_installed', JSON.stringify(reply));
    }
    assert.equal((await client.request({ kind: 'budget_set', agent: 'beta', credits_per_hour: 50 })).kind, 'budget_set');
    client.close();
    await daemon.stop('test');

    // Lose the alpha bucket (as if it predated budgets): start-up configures it again from the manifest.
    daemon = await startDaemon({ home, agentRuntime: { env, killGraceMs: 300 } });
    daemon.ctx.db.prepare("DELETE FROM budget_buckets WHERE agent_id = 'alpha'").run();
    await daemon.stop('test');
    daemon = await startDaemon({ home, agentRuntime: { env, killGraceMs: 300 } });
    client = await IpcClient.connect(daemon.paths.sock);
    await client.authenticate(token);
    const status = await client.request({ kind: 'budget_status' });
    assert.deepEqual(
      (status.budgets as Array<Record<string, unknown>>).map((b) => [b.agent, b.credits_per_hour, b.configured_by]),
      [
        ['alpha', 5, 'manifest'],
        ['beta', 50, 'operator'],
      ],
    );
    client.close();
    await daemon.stop('test');
  } finally {
    cleanup();
  }
});
