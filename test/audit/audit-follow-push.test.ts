/** `audit recent --follow` is a push subscription (issue 10, item 7): one check, then rows as they are appended. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';
import { FollowChild } from './audit-follow-child.js';

test('one capability check for the whole follow; rows of every issuer pushed; a revoked follower ends with exit 1', { timeout: 120_000 }, async () => {
  const { dir, cleanup } = tempDir('covenant-follow-push-');
  const home = `${dir}/home`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  const daemon = await spawnDaemon(home, env);
  const followers: FollowChild[] = [];
  try {
    const added = runCli(['peers', 'add', 'bob', '--json'], env);
    const bob = { ...env, COVENANT_TOKEN: String(added.json!.token_b58) };
    for (const action of ['intent.submit', 'audit.read']) assert.equal(runCli(['capabilities', 'grant', action, '--to', 'bob@peer', '--json'], env).code, 0);
    const checksBefore = (runCli(['audit', 'recent', '--json', '-n', '1000', '--kind', 'capability_check'], env).json!.events as unknown[]).length;

    assert.equal(runCli(['intent', 'warm up'], bob).code, 0);
    const operator = new FollowChild(['-n', '5'], env);
    followers.push(operator);
    const asBob = new FollowChild(['-n', '5'], bob);
    followers.push(asBob);
    // The backlog came: both are subscribed.
    for (const follower of [operator, asBob]) await follower.waitFor((e) => e.kind === 'intent_unrouted' && e.payload.text_bytes === Buffer.byteLength('warm up'));
    for (let i = 0; i < 3; i += 1) {
      assert.equal(runCli(['intent', `from bob ${i}`], bob).code, 0);
      assert.equal(runCli(['intent', `from the operator ${i}`], env).code, 0);
    }
    const bytes = (text: string) => Buffer.byteLength(text);
    await operator.waitFor((e) => e.kind === 'intent_unrouted' && e.payload.text_bytes === bytes('from the operator 2'));
    await asBob.waitFor((e) => e.kind === 'intent_unrouted' && e.payload.text_bytes === bytes('from bob 2'));
    assert.equal(operator.events.filter((e) => e.kind === 'intent_unrouted').length, 7, 'the operator sees the rows of every issuer');
    assert.ok(asBob.events.every((e) => e.issuer.display === 'bob@peer'), 'bob sees only the rows he issued');
    assert.equal(asBob.events.filter((e) => e.kind === 'intent_unrouted').length, 4);
    const seqs = operator.events.map((e) => e.seq);
    assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'each row once, in order');

    const checks = runCli(['audit', 'recent', '--json', '-n', '1000', '--kind', 'capability_check'], env).json!.events as Array<{
      issuer: { display: string };
      payload: { required: string };
    }>;
    const followChecks = checks.slice(0, checks.length - checksBefore).filter((e) => e.payload.required === 'audit.read');
    // One per follower (the `audit recent` calls of this test add one each, counted apart).
    assert.equal(followChecks.filter((e) => e.issuer.display === 'bob@peer').length, 1, 'no polling: one check for bob\'s whole follow');

    const revoked = runCli(['peers', 'revoke', String(added.json!.token_b58).slice(0, 6), '--json'], env);
    assert.equal(revoked.code, 0, revoked.stdout + revoked.stderr);
    const exit = await asBob.stop(undefined, 30_000);
    assert.equal(exit.code, 1, asBob.stderr);
    assert.match(asBob.stderr, /revoked; following the audit log has ended \(E_AUTH_FAILED\)/);
    assert.doesNotMatch(asBob.stderr, /reconnecting/);

    assert.deepEqual(await operator.stop('SIGINT'), { code: 0, signal: null }, operator.stderr);
    assert.equal(operator.stderr, '');
  } finally {
    for (const follower of followers) await follower.stop('SIGKILL');
    await daemon.stop();
    cleanup();
  }
});
