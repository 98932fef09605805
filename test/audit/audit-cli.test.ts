import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { runCli, spawnDaemon, type CliResult, type DaemonProcess } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';
import { FollowChild, type FollowedEvent } from './audit-follow-child.js';

interface Home {
  home: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[]): CliResult;
  cleanup(): void;
}

function newHome(): Home {
  const { dir, cleanup } = tempDir('covenant-audit-cli-');
  const home = `${dir}/home`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  return { home, env, cli: (args) => runCli(args, env), cleanup };
}

function lines(result: CliResult): FollowedEvent[] {
  return result.stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as FollowedEvent);
}

/** Grants audit.purge to the operator when the CLI has the capability commands (SPEC 5). */
function grantPurge(h: Home): void {
  const grant = h.cli(['capabilities', 'grant', 'audit.purge', '--json']);
  if (grant.code === 0) return;
  assert.match(grant.stderr, /unknown command/, `capabilities grant failed: ${grant.stdout}${grant.stderr}`);
}

describe('covenant audit recent / purge (compiled CLI)', () => {
  let h: Home;
  let daemon: DaemonProcess;

  before(async () => {
    h = newHome();
    daemon = await spawnDaemon(h.home, h.env);
    assert.equal(h.cli(['intent', 'first', 'intent']).code, 0);
  });
  after(async () => {
    await daemon.stop();
    h.cleanup();
  });

  test('without --json: one JSON line per event, oldest to newest, exit 0', () => {
    const result = h.cli(['audit', 'recent']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const events = lines(result);
    assert.ok(events.length >= 3);
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b));
    assert.ok(events.some((e) => e.kind === 'daemon_started'));
    assert.ok(events.some((e) => e.kind === 'intent_unrouted'));
  });

  test('--json prints exactly one audit_recent object with the filters', () => {
    const result = h.cli(['audit', 'recent', '--json', '-n', '2', '--kind', 'daemon_started', '--kind', 'intent_unrouted']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.trim().split('\n').length, 1);
    const json = result.json!;
    assert.equal(json.kind, 'audit_recent');
    assert.equal(json.limit, 2);
    assert.deepEqual(json.filters, { since_ms: null, after_seq: null, kinds: ['daemon_started', 'intent_unrouted'], issuer: null });
    const events = json.events as FollowedEvent[];
    assert.deepEqual(events.map((e) => e.kind).sort(), ['daemon_started', 'intent_unrouted']);
    assert.ok(events[0]!.seq > events[1]!.seq, 'newest first in the JSON object');
  });

  test('--issuer takes a pubkey prefix; --since-ms in the future matches nothing', () => {
    const started = h.cli(['audit', 'recent', '--json', '--kind', 'daemon_started']).json!.events as FollowedEvent[];
    const pubkey = started[0]!.issuer.pubkey;
    const mine = h.cli(['audit', 'recent', '--json', '--issuer', pubkey.slice(0, 6)]);
    assert.equal(mine.code, 0);
    assert.ok((mine.json!.events as FollowedEvent[]).length > 0);
    assert.ok((mine.json!.events as FollowedEvent[]).every((e) => e.issuer.pubkey === pubkey));
    const future = h.cli(['audit', 'recent', '--json', '--since-ms', String(Date.now() + 3_600_000)]);
    assert.equal(future.code, 0);
    assert.deepEqual(future.json!.events, []);
    const plainFuture = h.cli(['audit', 'recent', '--since-ms', String(Date.now() + 3_600_000)]);
    assert.equal(plainFuture.code, 0);
    assert.equal(plainFuture.stdout, '');
  });

  test('usage errors exit 2 and print nothing on stdout', () => {
    for (const args of [
      ['audit', 'recent', '-n', '12abc'],
      ['audit', 'recent', '-n', '0'],
      ['audit', 'recent', '-n', '1001'],
      ['audit', 'recent', '-n', '-5'],
      ['audit', 'recent', '-n', '1.5'],
      ['audit', 'recent', '--since-ms', '-1'],
      ['audit', 'recent', '--since-ms', '1e3'],
      ['audit', 'recent', '--issuer', '0OIl'],
      ['audit', 'recent', '--kind'],
      ['audit', 'recent', '--follow', '--json'],
      ['audit', 'recent', 'extra'],
      ['audit', 'purge'],
      ['audit', 'purge', '--json'],
      ['audit', 'purge', '--before-ms', '1', '--older-than-ms', '1'],
      ['audit', 'purge', '--before-ms', '-1'],
      ['audit', 'purge', '--older-than-ms', '-1'],
      ['audit', 'purge', '--before-ms', '12abc'],
    ]) {
      const result = h.cli(args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.stdout}${result.stderr}`);
      assert.equal(result.stdout, '', args.join(' '));
      assert.notEqual(result.stderr, '', args.join(' '));
    }
    assert.match(h.cli(['audit', 'recent', '--follow', '--json']).stderr, /--follow.*--json/);
    assert.match(h.cli(['audit', 'purge']).stderr, /--before-ms.*--older-than-ms/);
  });

  test('help says --follow cannot be combined with --json', () => {
    const help = h.cli(['audit', 'recent', '--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /--follow/);
    assert.match(help.stdout, /cannot be combined with --json/);
  });

  test('a future cutoff is refused (exit 1, error object) and nothing is purged', () => {
    const before = h.cli(['audit', 'verify', '--json']).json!.report as { events: number };
    const result = h.cli(['audit', 'purge', '--before-ms', String(Date.now() + 3_600_000), '--json']);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '');
    assert.equal(result.json!.kind, 'error');
    assert.equal(result.json!.code, 'E_BAD_REQUEST');
    const plain = h.cli(['audit', 'purge', '--older-than-ms', String(Date.now() + 3_600_000)]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /E_BAD_REQUEST/);
    const after = h.cli(['audit', 'verify', '--json']).json!.report as { events: number; valid: boolean };
    assert.equal(after.valid, true);
    assert.ok(after.events >= before.events, 'nothing deleted (refusals only add rows)');
    assert.equal((h.cli(['audit', 'recent', '--json', '--kind', 'audit_purged']).json!.events as unknown[]).length, 0);
  });

  test('purge answers audit_purged and audit verify stays valid (exit 0)', () => {
    grantPurge(h);
    const result = h.cli(['audit', 'purge', '--older-than-ms', '0', '--json']);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stderr, '');
    const json = result.json!;
    assert.equal(json.kind, 'audit_purged');
    assert.equal(typeof json.before_ms, 'number');
    assert.ok((json.purged as number) > 0);
    const verify = h.cli(['audit', 'verify', '--json']);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal((verify.json!.report as { valid: boolean }).valid, true);
    const human = h.cli(['audit', 'purge', '--before-ms', '0']);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /no audit rows to purge/);
  });
});

describe('covenant audit recent --follow (compiled CLI)', () => {
  test('streams new rows as JSON lines and exits 0 on SIGINT and on SIGTERM', async () => {
    const h = newHome();
    const daemon = await spawnDaemon(h.home, h.env);
    try {
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        const follow = new FollowChild(['-n', '5'], h.env);
        await follow.waitFor(() => true); // the existing rows came: it is polling now
        const text = `follow me ${signal}`;
        assert.equal(h.cli(['intent', text]).code, 0);
        const row = await follow.waitFor((e) => e.kind === 'intent_unrouted' && e.payload.text_bytes === Buffer.byteLength(text));
        assert.ok(row.seq > 0);
        const seqs = follow.events.map((e) => e.seq);
        assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'each row once, in order');
        assert.ok(
          !follow.events.some((e) => e.kind === 'capability_check' && e.payload.required === 'audit.read'),
          'its own polling checks are not echoed',
        );
        const exit = await follow.stop(signal);
        assert.deepEqual(exit, { code: 0, signal: null }, follow.stderr);
        assert.equal(follow.stderr, '');
      }
    } finally {
      await daemon.stop();
      h.cleanup();
    }
  });

  test('--kind filters the stream too', async () => {
    const h = newHome();
    const daemon = await spawnDaemon(h.home, h.env);
    try {
      const follow = new FollowChild(['--kind', 'intent_unrouted'], h.env);
      // Rows of other kinds are written between the two intents; the second one arriving means
      // the follower has read past them.
      assert.equal(h.cli(['intent', 'only', 'this']).code, 0);
      assert.equal(h.cli(['peers', 'list', '--json']).code, 0);
      assert.equal(h.cli(['intent', 'and', 'this']).code, 0);
      await follow.waitFor((e) => e.kind === 'intent_unrouted' && e.payload.text_bytes === Buffer.byteLength('and this'));
      assert.equal(follow.events.length, 2, follow.stdout);
      assert.ok(follow.events.every((e) => e.kind === 'intent_unrouted'), follow.stdout);
      assert.equal((await follow.stop('SIGINT')).code, 0);
    } finally {
      await daemon.stop();
      h.cleanup();
    }
  });

  test('reconnects once covenantd restarts, and gives a clear error when it does not come back', { timeout: 60_000 }, async () => {
    const h = newHome();
    let daemon = await spawnDaemon(h.home, h.env);
    const follow = new FollowChild([], h.env);
    try {
      await follow.waitFor((e) => e.kind === 'daemon_started');
      await daemon.stop();
      await follow.waitForStderr(/reconnecting/);
      daemon = await spawnDaemon(h.home, h.env);
      await follow.waitForStderr(/reconnected/, 15_000);
      assert.equal(h.cli(['intent', 'after', 'restart']).code, 0);
      await follow.waitFor((e) => e.kind === 'intent_unrouted');
      assert.ok(follow.events.some((e) => e.kind === 'daemon_stopped'), 'rows written while it was away are not lost');
      assert.equal(follow.events.filter((e) => e.kind === 'daemon_started').length, 2);

      await daemon.stop();
      const exit = await follow.stop(undefined, 30_000);
      assert.equal(exit.code, 1, follow.stderr);
      assert.match(follow.stderr, /did not come back within 10 s/);
      assert.match(follow.stderr, /is covenantd running\?/);
    } finally {
      await follow.stop('SIGKILL');
      await daemon.stop();
      h.cleanup();
    }
  });

  test('without a daemon it fails at once with exit 1', () => {
    const h = newHome();
    const result = h.cli(['audit', 'recent', '--follow']);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /is covenantd running\?/);
    const json = h.cli(['audit', 'recent', '--json']);
    assert.equal(json.code, 1);
    assert.equal(json.json!.kind, 'error');
    h.cleanup();
  });
});
