/**
 * Issue 8 item 3: replacing the operator token (`peers rotate`, `covenantd --recover-operator`)
 * is crash-safe at every step. A child process runs the production code and SIGKILLs itself at
 * one step; the next start must leave exactly one live operator token, the one in
 * peers/operator.token, and no temporary token files.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { startDaemon } from '../../src/daemon/index.js';
import { hashToken, mintToken, type TokenFileStep } from '../../src/peers/index.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { DaemonFixture, withDaemonFixture } from '../helpers/daemon-fixture.js';

const CHILD = join(REPO_ROOT, 'test', 'peers', 'fixtures', 'token-swap-child.ts');
const STEPS: TokenFileStep[] = ['tmp_created', 'tmp_synced', 'committed', 'renamed'];
const withFixture = (fn: (f: DaemonFixture) => Promise<void>) => withDaemonFixture(DaemonFixture, fn);

function temporaryFiles(f: DaemonFixture): string[] {
  return readdirSync(f.paths.peersDir).filter((name) => name.includes('.tmp-'));
}

/** Runs the child until it kills itself at `step`; returns the token it was installing ('' before written). */
function killAt(home: string, mode: 'rotate' | 'recover', step: TokenFileStep): string {
  const child = spawnSync(process.execPath, ['--import', 'tsx', CHILD, home, mode, step], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  assert.equal(child.signal, 'SIGKILL', `the child died at ${step}: ${child.stderr}`);
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { step: string; token: string };
  assert.equal(report.step, step);
  return report.token;
}

/** Exactly one live operator token, it is the file's, it authenticates; `refused` do not. */
async function assertSingleOperator(f: DaemonFixture, refused: string[]): Promise<string> {
  const live = f.ctx.peers.liveOperatorTokens();
  assert.equal(live.length, 1, 'exactly one live operator token');
  const inFile = f.operatorToken();
  assert.equal(live[0]!.token_hash, hashToken(inFile), 'the live operator token is the one in peers/operator.token');
  assert.deepEqual(await f.call({ kind: 'ping' }, inFile), { kind: 'daemon_ping', status: 'ok' });
  for (const token of refused.filter((t) => t !== '' && t !== inFile)) await f.authFails(token);
  assert.deepEqual(temporaryFiles(f), [], 'no temporary token file is left');
  return inFile;
}

for (const step of STEPS) {
  test(`peers rotate killed at ${step}: the next start has one live operator token, the file's`, async () => {
    await withFixture(async (f) => {
      const old = f.operatorToken();
      await f.stopDaemon();
      const pending = killAt(f.home, 'rotate', step);
      if (step !== 'renamed') assert.equal(temporaryFiles(f).length, 1, 'the kill left the temporary file behind');

      f.daemon = await startDaemon({ home: f.home });
      const committed = step === 'committed' || step === 'renamed';
      const inFile = await assertSingleOperator(f, [old, pending]);
      // Before the commit nothing changed; from the commit on the new token is the operator's.
      assert.equal(inFile, committed ? pending : old);
      if (committed) await f.authFails(old);
      assert.equal(f.audit('operator_token_rotated').length, committed ? 1 : 0);
      assert.equal(f.audit('operator_token_minted').length, 1, 'no file token was registered as a new operator token');

      // The next rotation works and still leaves exactly one.
      const rotated = await f.call({ kind: 'peers_rotate' }, inFile);
      assert.equal(rotated.kind, 'operator_token_rotated', JSON.stringify(rotated));
      await assertSingleOperator(f, [old, inFile]);
      assert.equal(f.operatorToken(), rotated.token_b58);
    });
  });
}

for (const step of STEPS) {
  test(`--recover-operator killed at ${step}: the next start has one live operator token, the file's`, async () => {
    await withFixture(async (f) => {
      const old = f.operatorToken();
      await f.call({ kind: 'peers_revoke', token_prefix: old, force: true });
      await f.stopDaemon();
      const pending = killAt(f.home, 'recover', step);
      f.daemon = await startDaemon({ home: f.home });
      const committed = step === 'committed' || step === 'renamed';
      if (committed) {
        assert.equal(await assertSingleOperator(f, [old]), pending);
      } else {
        // Recovery did not happen: no operator token is live, the file still holds the revoked one.
        assert.equal(f.ctx.peers.liveOperatorTokens().length, 0);
        assert.equal(f.operatorToken(), old);
        assert.deepEqual(temporaryFiles(f), []);
        if (pending) await f.authFails(pending);
      }
      assert.equal(f.audit('operator_recovered').length, committed ? 1 : 0);
    });
  });
}

test('a token file the database never registered is not made a second live operator token', async () => {
  await withFixture(async (f) => {
    const old = f.operatorToken();
    await f.stopDaemon();
    // What an older `peers rotate` left when killed between writing the file and committing.
    const stray = mintToken();
    writeFileSync(f.paths.operatorToken, `${stray}\n`, { mode: 0o600 });
    writeFileSync(`${f.paths.operatorToken}.tmp-999999`, `${mintToken()}\n`, { mode: 0o600 });
    f.daemon = await startDaemon({ home: f.home });
    assert.equal(f.ctx.peers.liveOperatorTokens().length, 1);
    await f.authFails(stray);
    assert.deepEqual(await f.call({ kind: 'ping' }, old), { kind: 'daemon_ping', status: 'ok' });
    assert.deepEqual(temporaryFiles(f), []);
    assert.equal(f.audit('operator_token_minted').length, 1);
    await f.restart();
    assert.equal(f.ctx.peers.liveOperatorTokens().length, 1, 'still one after another start');
  });
});

test('a rotation on a home with a stray second live operator token leaves exactly one, and says so', async () => {
  await withFixture(async (f) => {
    const old = f.operatorToken();
    const stray = mintToken();
    f.ctx.peers.register(stray, f.operator, 'operator'); // what the old crash window left behind
    const rotated = await f.call({ kind: 'peers_rotate' }, old);
    assert.equal(rotated.kind, 'operator_token_rotated', JSON.stringify(rotated));
    await assertSingleOperator(f, [old, stray]);
    assert.deepEqual(f.audit('operator_token_rotated').at(-1)!.payload, {
      old_prefix: old.slice(0, 6),
      new_prefix: String(rotated.token_b58).slice(0, 6),
      also_revoked_prefixes: [stray.slice(0, 6)],
    });
  });
});
