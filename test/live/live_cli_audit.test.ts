// Live tests for the CLI audit feed (SPEC 6): the real covenantd and covenant binaries on a
// temporary COVENANT_HOME. External service: none beyond the two binaries and the SQLite file.
import assert from 'node:assert/strict';
import { FollowChild, type FollowedEvent } from '../audit/audit-follow-child.js';
import { liveHome, liveTest } from './harness.js';
import { editDb } from './helpers.js';

function jsonLines(stdout: string): FollowedEvent[] {
  return stdout
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as FollowedEvent);
}

liveTest('live_cli_audit_recent_plain', async () => {
  const home = liveHome();
  try {
    await home.start();
    assert.equal(home.cli(['intent', 'audit', 'me']).code, 0);
    const result = home.cli(['audit', 'recent']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const events = jsonLines(result.stdout);
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), 'oldest to newest');
    assert.ok(events.some((e) => e.kind === 'operator_token_minted'));
    assert.ok(events.some((e) => e.kind === 'daemon_started'));
    assert.ok(events.some((e) => e.kind === 'intent_unrouted'));
    for (const event of events) {
      assert.match(String((event as unknown as { chain_hash: string }).chain_hash), /^[0-9a-f]{64}$/);
      assert.equal(typeof event.issuer.pubkey, 'string');
    }
  } finally {
    await home.dispose();
  }
});

liveTest('live_cli_audit_recent_json', async () => {
  const home = liveHome();
  try {
    await home.start();
    for (const text of ['one', 'two', 'three']) assert.equal(home.cli(['intent', text]).code, 0);
    const result = home.cli(['audit', 'recent', '--json', '-n', '2', '--kind', 'intent_unrouted']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.trim().split('\n').length, 1, 'exactly one JSON object');
    const json = result.json!;
    assert.equal(json.kind, 'audit_recent');
    assert.equal(json.limit, 2);
    assert.deepEqual(json.filters, { since_ms: null, after_seq: null, kinds: ['intent_unrouted'], issuer: null });
    const events = json.events as FollowedEvent[];
    assert.equal(events.length, 2);
    assert.ok(events.every((e) => e.kind === 'intent_unrouted'));
    assert.ok(events[0]!.seq > events[1]!.seq, 'newest first');
    assert.equal(events[0]!.payload.text_bytes, Buffer.byteLength('three'));

    const bad = home.cli(['audit', 'recent', '--json', '-n', '12abc']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
  } finally {
    await home.dispose();
  }
});

liveTest('live_cli_audit_verify', async () => {
  const home = liveHome();
  try {
    await home.start();
    assert.equal(home.cli(['intent', 'verify', 'me']).code, 0);
    const json = home.cli(['audit', 'verify', '--json']);
    assert.equal(json.code, 0, json.stdout + json.stderr);
    assert.equal(json.stderr, '');
    assert.equal(json.json!.kind, 'audit_integrity');
    const report = json.json!.report as { events: number; valid: boolean; root_hash_hex: string; failures: unknown[] };
    assert.equal(report.valid, true);
    assert.ok(report.events >= 3);
    assert.deepEqual(report.failures, []);
    // The root is the chain hash of the newest row at verify time (reading the feed may add rows).
    const newest = home.cli(['audit', 'recent', '--json', '-n', '5']).json!.events as Array<{ chain_hash: string }>;
    assert.ok(newest.some((e) => e.chain_hash === report.root_hash_hex));
    const plain = home.cli(['audit', 'verify']);
    assert.equal(plain.code, 0);
    assert.match(plain.stdout, /audit chain valid/);
  } finally {
    await home.dispose();
  }
});

liveTest('live_cli_audit_verify_detects_tampering', async () => {
  const home = liveHome();
  try {
    await home.start();
    assert.equal(home.cli(['intent', 'the', 'row', 'to', 'tamper']).code, 0);
    const [target] = home.cli(['audit', 'recent', '--json', '--kind', 'intent_unrouted', '-n', '1']).json!.events as FollowedEvent[];
    assert.ok(target);
    await home.daemon!.stop('SIGTERM');
    home.daemon = null;

    const changed = editDb(
      home.home,
      (db) => db.prepare('UPDATE audit_events SET payload = ? WHERE seq = ?').run(JSON.stringify({ ...target.payload, text_bytes: 999 }), target.seq).changes,
    );
    assert.equal(changed, 1);

    await home.start();
    const json = home.cli(['audit', 'verify', '--json']);
    assert.equal(json.code, 1, json.stdout);
    const report = json.json!.report as { valid: boolean; failures: Array<{ seq: number; reason: string }> };
    assert.equal(report.valid, false);
    assert.deepEqual(report.failures.map((f) => f.seq), [target.seq]);
    const plain = home.cli(['audit', 'verify']);
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, new RegExp(`seq ${target.seq}\\b`));
    // The purge refuses to destroy the evidence.
    assert.equal(home.cli(['capabilities', 'grant', 'audit.purge', '--json']).code, 0);
    const purge = home.cli(['audit', 'purge', '--older-than-ms', '0', '--json']);
    assert.equal(purge.code, 1, purge.stdout);
    assert.equal(purge.json!.kind, 'error');
    assert.equal(purge.json!.code, 'E_CONFLICT');
    assert.match(String(purge.json!.message), new RegExp(`seq ${target.seq}\\b`));
    assert.equal(home.cli(['audit', 'verify', '--json']).code, 1);
  } finally {
    await home.dispose();
  }
});

liveTest('live_cli_audit_purge', async () => {
  const home = liveHome();
  try {
    await home.start();
    for (const text of ['old', 'rows']) assert.equal(home.cli(['intent', text]).code, 0);
    const grant = home.cli(['capabilities', 'grant', 'audit.purge', '--json']);
    assert.equal(grant.code, 0, `covenant capabilities grant audit.purge: ${grant.stdout}${grant.stderr}`);
    assert.equal(grant.json!.kind, 'capability_granted');
    await new Promise((r) => setTimeout(r, 5));

    const purge = home.cli(['audit', 'purge', '--older-than-ms', '0', '--json']);
    assert.equal(purge.code, 0, purge.stdout + purge.stderr);
    assert.equal(purge.stderr, '');
    const json = purge.json!;
    assert.equal(json.kind, 'audit_purged');
    assert.ok(typeof json.before_ms === 'number' && json.before_ms <= Date.now());
    assert.ok((json.purged as number) > 0);

    const verify = home.cli(['audit', 'verify', '--json']);
    assert.equal(verify.code, 0, verify.stdout);
    assert.equal((verify.json!.report as { valid: boolean }).valid, true);
    const [row] = home.cli(['audit', 'recent', '--json', '--kind', 'audit_purged']).json!.events as FollowedEvent[];
    assert.ok(row);
    assert.equal(row.payload.purged, json.purged);
    assert.equal(row.payload.before_ms, json.before_ms);
    assert.match(String(row.payload.cut_chain_hash), /^[0-9a-f]{64}$/);
    assert.ok(row.seq > (row.payload.cut_seq as number));

    // The chain keeps going after the purge and across a restart.
    assert.equal(home.cli(['intent', 'after', 'purge']).code, 0);
    await home.daemon!.stop('SIGTERM');
    await home.start();
    const again = home.cli(['audit', 'verify', '--json']);
    assert.equal(again.code, 0, again.stdout);
    assert.equal((again.json!.report as { valid: boolean }).valid, true);

    // Bad cutoffs are refused and purge nothing.
    const future = home.cli(['audit', 'purge', '--before-ms', String(Date.now() + 3_600_000), '--json']);
    assert.equal(future.code, 1);
    assert.equal(future.json!.code, 'E_BAD_REQUEST');
    assert.equal(home.cli(['audit', 'purge']).code, 2);
  } finally {
    await home.dispose();
  }
});

liveTest('live_cli_audit_follow_streams_new_rows', async () => {
  const home = liveHome();
  try {
    await home.start();
    const follow = new FollowChild([], home.env);
    try {
      await follow.waitFor((e) => e.kind === 'daemon_started');
      assert.equal(home.cli(['ping']).code, 0);
      const text = 'streamed while following';
      assert.equal(home.cli(['intent', text]).code, 0);
      const row = await follow.waitFor((e) => e.kind === 'intent_unrouted' && e.payload.text_bytes === Buffer.byteLength(text));
      assert.ok(row.seq > 1);
      const seqs = follow.events.map((e) => e.seq);
      assert.deepEqual(seqs, [...new Set(seqs)].sort((a, b) => a - b), 'each row once, in order');
      const exit = await follow.stop('SIGINT');
      assert.deepEqual(exit, { code: 0, signal: null }, follow.stderr);
      assert.equal(follow.stderr, '');
    } finally {
      await follow.stop('SIGKILL');
    }
  } finally {
    await home.dispose();
  }
});
