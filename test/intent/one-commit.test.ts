import assert from 'node:assert/strict';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { auditRowsAfterCrash } from '../helpers/crash-snapshot.js';
import { tempDir } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';
import { FIXTURE_AGENTS, startRuntimeDaemon, type RuntimeDaemon } from './helpers.js';

// An intent commits once: its intent.submit capability_check is written in the settle
// transaction, so a crash while the agent runs leaves neither the check nor the settlement.

const scratch = tempDir('covenant-intent-commit-');
const pidfile = join(scratch.dir, 'pids.json');
let t: RuntimeDaemon;
before(async () => {
  t = await startRuntimeDaemon({ FIXTURE_PIDFILE: pidfile });
  await t.install(join(FIXTURE_AGENTS, 'slow'));
});
after(async () => {
  await t.stop();
  scratch.cleanup();
});

test('an intent running has nothing on disk; its answer commits its capability_check with its settlement', async () => {
  rmSync(pidfile, { force: true });
  const before = t.count('audit_events');
  const reply = t.ok({ kind: 'submit_intent', text: 'take your time', agent: 'slow' });
  assert.ok(await waitFor(() => existsSync(pidfile)), 'the agent is running');

  const during = auditRowsAfterCrash(t.paths.db);
  assert.equal(during.length, before, 'a crash while the agent runs leaves neither the check nor the settlement');

  const answer = await reply;
  assert.equal(answer.status, 'failed'); // the slow agent runs out of time: settled as failed
  const rows = auditRowsAfterCrash(t.paths.db).slice(before);
  assert.equal(rows[0]!.kind, 'capability_check');
  assert.equal(rows[0]!.payload.required, 'intent.submit');
  assert.ok(rows.some((row) => row.kind === 'intent_failed' && row.payload.intent_id === answer.intent_id), JSON.stringify(rows.map((r) => r.kind)));
  rows.forEach((row, i) => assert.equal(row.seq, rows[0]!.seq + i, 'one run of consecutive rows'));
});
