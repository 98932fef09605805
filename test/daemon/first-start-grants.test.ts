import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR_DEFAULT_ACTIONS } from '../../src/capabilities/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { tempHome } from '../helpers/temp-home.js';

function liveOperatorActions(daemon: Awaited<ReturnType<typeof startDaemon>>): string[] {
  const rows = daemon.ctx.db
    .prepare('SELECT action FROM capabilities WHERE subject_pubkey = ? AND revoked_at IS NULL ORDER BY action')
    .all(daemon.ctx.identity.agentId.pubkey) as Array<{ action: string }>;
  return rows.map((r) => r.action);
}

test('first start grants the default set once; a restart does not re-grant what was revoked', async () => {
  const { home, cleanup } = tempHome();
  const first = await startDaemon({ home });
  assert.deepEqual(liveOperatorActions(first), [...OPERATOR_DEFAULT_ACTIONS].sort());
  const granted = first.ctx.db.prepare("SELECT count(*) AS n FROM audit_events WHERE kind = 'capability_granted'").get() as { n: number };
  assert.equal(granted.n, OPERATOR_DEFAULT_ACTIONS.length, 'each default grant is audited');
  const memoryWrite = first.ctx.db.prepare("SELECT id FROM capabilities WHERE action = 'memory.write'").get() as { id: string };
  first.ctx.capabilities.revoke({ caller: first.ctx.identity.agentId, idOrSignature: memoryWrite.id, callerIsOperator: true });
  await first.stop();

  const second = await startDaemon({ home });
  assert.equal(liveOperatorActions(second).includes('memory.write'), false);
  await second.stop();
  cleanup();
});

test('a first start that died before granting retries the grants at the next start', async () => {
  const { home, cleanup } = tempHome();
  const first = await startDaemon({ home });
  // Simulate the crash window: token minted, grants and marker lost.
  first.ctx.db.exec("DELETE FROM capabilities; DELETE FROM daemon_state WHERE key = 'operator_bootstrapped_at'");
  await first.stop();
  const second = await startDaemon({ home });
  assert.deepEqual(liveOperatorActions(second), [...OPERATOR_DEFAULT_ACTIONS].sort());
  await second.stop();
  cleanup();
});
