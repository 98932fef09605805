/**
 * Issue 10 item 9: one human form of times everywhere — ISO 8601 plus a relative "in 5m" /
 * "3h ago" — in peers, capabilities, purge messages, receipts and status; --json keeps epoch ms.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runCli, withDaemonHome } from '../helpers/binaries.js';

const ISO = String.raw`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`;
const PAST = String.raw`${ISO} \((now|\d+[smhd]( \d+[smhd])? ago)\)`;

test('peers, capabilities, purges, receipts and status print ISO 8601 with a relative time; --json keeps epoch ms', async () => {
  await withDaemonHome(async (home, env) => {
    runCli(['peers', 'add', 'bob'], env);
    const peers = runCli(['peers', 'list'], env);
    assert.equal(peers.code, 0, peers.stderr);
    for (const row of peers.stdout.trimEnd().split('\n')) assert.match(row.split('\t')[3]!, new RegExp(`^registered ${PAST}$`));
    const peersJson = runCli(['peers', 'list', '--json'], env);
    assert.equal(typeof (peersJson.json!.peers as Array<{ registered_at: unknown }>)[0]!.registered_at, 'number');

    const granted = runCli(['capabilities', 'grant', 'tool.call.echo', '--expires-in', '5m'], env);
    assert.equal(granted.code, 0, granted.stderr);
    assert.match(granted.stdout, new RegExp(`\\[expires ${ISO} \\(in (5m|4m \\d+s)\\)\\]`));
    const recent = runCli(['capabilities', 'recent', '--json'], env);
    const expiring = (recent.json!.capabilities as Array<{ action: string; expires_at: unknown }>).find((c) => c.action === 'tool.call.echo')!;
    assert.equal(typeof expiring.expires_at, 'number');
    const recentHuman = runCli(['capabilities', 'recent'], env);
    assert.match(recentHuman.stdout, new RegExp(`tool\\.call\\.echo \\(user@local\\) \\[expires ${ISO} \\(in (5m|4m \\d+s)\\)\\]`));

    for (const [group, what] of [
      ['capabilities', 'capability records'],
      ['peers', 'revoked peers'],
      ['memory', 'memory records'],
    ] as const) {
      if (group !== 'peers') runCli(['capabilities', 'grant', `${group}.purge`], env);
      else runCli(['capabilities', 'grant', 'peers.purge'], env);
      const purged = runCli([group, 'purge', '--older-than-ms', String(3 * 3_600_000)], env);
      assert.equal(purged.code, 0, purged.stderr);
      assert.match(purged.stdout, new RegExp(`^purged 0 ${what} older than ${ISO} \\(3h ago\\)$`, 'm'));
      const json = runCli([group, 'purge', '--older-than-ms', '1000', '--json'], env);
      assert.equal(typeof json.json!.before_ms, 'number');
    }

    const called = runCli(['tools', 'call', 'echo', '--args', '{"text":"hi"}'], env);
    assert.equal(called.code, 0, called.stderr);
    const receipts = runCli(['receipts', 'recent'], env);
    assert.equal(receipts.code, 0, receipts.stderr);
    assert.match(receipts.stdout, new RegExp(`^${PAST}\\t\\S+\\ttool\\tok\\t`, 'm'));

    const status = runCli(['status'], env);
    assert.match(status.stdout, new RegExp(`, up \\d+[smhd]( \\d+[smhd])? since ${PAST}$`, 'm'));
    assert.match(status.stdout, new RegExp(`^audit head: seq \\d+, chain [0-9a-f]{16}…, at ${PAST}$`, 'm'));
  });
});
