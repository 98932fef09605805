// Live tests for the CLI capability lifecycle (SPEC 5): grant, recent, revoke, purge and
// delegation through the real covenant binary against the real covenantd on a temporary
// COVENANT_HOME. Peers act with COVENANT_TOKEN or --token-file. External service: none beyond
// the two binaries, the Unix socket and the SQLite file.
import assert from 'node:assert/strict';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, auditEvents, errorJson, okJson, sleep } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

interface CapView {
  id: string;
  subject: { display: string; pubkey: string };
  action: string;
  scope: Record<string, unknown>;
  granted_by: { display: string; pubkey: string };
  expires_at: number | null;
  parent_id: string | null;
  signature_b58: string;
  revoked_at: number | null;
}

const DEFAULTS = ['audit.read', 'chain.batches', 'chain.receipts', 'intent.submit', 'memory.read', 'memory.write', 'model.chat', 'model.embed', 'peers.list'];

function recent(live: LiveHome, env: NodeJS.ProcessEnv = {}, n = 100): CapView[] {
  return okJson(live.cli(['capabilities', 'recent', '--json', '-n', String(n)], env), 'capability_list').capabilities as CapView[];
}

liveTest('live_cli_capability_grant', async () => {
  const live = liveHome();
  try {
    await live.start();
    const self = okJson(live.cli(['capabilities', 'grant', 'audit.purge', '--json']), 'capability_granted');
    assert.equal(self.subject_display, 'user@local');
    assert.equal(self.action, 'audit.purge');
    assert.deepEqual(self.scope, {});
    assert.equal(self.expires_at, null);
    assert.equal(self.parent_id, null);
    assert.match(String(self.id), /^[0-9a-f-]{36}$/);
    assert.match(String(self.signature_b58), /^[1-9A-HJ-NP-Za-km-z]{60,90}$/);

    const alice = addPeer(live, 'alice');
    const byName = okJson(
      live.cli(['capabilities', 'grant', 'memory.read', '--to', 'alice@peer', '--scope', '{"tier":["working"]}', '--json']),
      'capability_granted',
    );
    assert.equal(byName.subject_display, 'alice@peer');
    assert.equal(byName.subject_pubkey, alice.pubkey);
    assert.deepEqual(byName.scope, { tier: ['working'] });
    const byPrefix = okJson(live.cli(['capabilities', 'grant', 'peers.list', '--to', alice.pubkey.slice(0, 10), '--json']), 'capability_granted');
    assert.equal(byPrefix.subject_pubkey, alice.pubkey);

    // What alice holds now, as alice sees it.
    const held = recent(live, { COVENANT_TOKEN: alice.token });
    assert.deepEqual(held.map((c) => c.id), [byPrefix.id, byName.id]);
    assert.equal(held[0]!.granted_by.display, 'user@local');
    // The grant is effective: alice may list peers now.
    okJson(live.cli(['peers', 'list', '--json'], { COVENANT_TOKEN: alice.token }), 'peer_list');

    const plain = live.cli(['capabilities', 'grant', 'chain.flush']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^granted chain\.flush to user@local \[perpetual\] id [0-9a-f-]{36}\n$/);

    errorJson(live.cli(['capabilities', 'grant', 'memory.read', '--to', 'nobody@peer', '--json']), 'E_NOT_FOUND');
    errorJson(live.cli(['capabilities', 'grant', 'memory..read', '--json']), 'E_CAPABILITY_INVALID');
    const unknownKey = errorJson(live.cli(['capabilities', 'grant', 'memory.read', '--scope', '{"colour":1}', '--json']), 'E_CAPABILITY_INVALID');
    assert.match(String(unknownKey.message), /colour/);
    for (const scope of ['not json', '[1]', '"x"']) {
      const bad = live.cli(['capabilities', 'grant', 'memory.read', '--scope', scope, '--json']);
      assert.equal(bad.code, 2, scope);
      assert.equal(bad.stdout, '');
    }
    // A peer cannot grant without authority; the refusal is audited with the peer as issuer.
    errorJson(live.cli(['--token-file', alice.tokenFile, 'capabilities', 'grant', 'audit.purge', '--json']), 'E_GRANT_REJECTED');
    const rejected = auditEvents(live, 'capability_grant_rejected').filter((row) => row.issuer.pubkey === alice.pubkey);
    assert.equal(rejected.length, 1);
    assert.equal(rejected[0]!.payload.action, 'audit.purge');
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_capability_grant_with_expiry', async () => {
  const live = liveHome();
  try {
    await live.start();
    const alice = addPeer(live, 'alice');
    const before = Date.now();
    const inHour = okJson(live.cli(['capabilities', 'grant', 'memory.write', '--expires-in', '1h', '--json']), 'capability_granted');
    const expiresAt = Number(inHour.expires_at);
    assert.ok(expiresAt >= before + 3_600_000 && expiresAt <= Date.now() + 3_600_000, String(expiresAt));
    const plain = live.cli(['capabilities', 'grant', 'memory.write', '--expires-in', '2d']);
    assert.match(plain.stdout, /^granted memory\.write to user@local \[expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in (2d|1d 23h)\)\] id /);

    const at = Date.now() + 600_000;
    const fixed = okJson(live.cli(['capabilities', 'grant', 'chain.flush', '--expires-at', String(at), '--json']), 'capability_granted');
    assert.equal(fixed.expires_at, at);
    const listed = recent(live).find((c) => c.id === fixed.id);
    assert.equal(listed?.expires_at, at);

    const past = errorJson(live.cli(['capabilities', 'grant', 'chain.flush', '--expires-at', String(Date.now() - 1000), '--json']), 'E_BAD_REQUEST');
    assert.match(String(past.message), /in the past/);
    for (const args of [
      ['--expires-at', String(at), '--expires-in', '1h'],
      ['--expires-in', '10x'],
      ['--expires-in', '0s'],
      ['--expires-at', 'soon'],
    ]) {
      const bad = live.cli(['capabilities', 'grant', 'chain.flush', '--json', ...args]);
      assert.equal(bad.code, 2, args.join(' '));
      assert.equal(bad.stdout, '');
    }

    // An expiring grant stops working once it expires. It lives long enough to be used once even
    // when every core is busy; then the test waits for the clock to pass its expires_at.
    const expiring = okJson(live.cli(['capabilities', 'grant', 'peers.list', '--to', 'alice@peer', '--expires-in', '15s', '--json']), 'capability_granted');
    okJson(live.cli(['peers', 'list', '--json'], { COVENANT_TOKEN: alice.token }), 'peer_list');
    const expiringAt = Number(expiring.expires_at);
    assert.ok(await waitFor(() => Date.now() > expiringAt + 1), 'the grant has expired');
    errorJson(live.cli(['peers', 'list', '--json'], { COVENANT_TOKEN: alice.token }), 'E_CAPABILITY_MISSING');
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_capability_recent_json', async () => {
  const live = liveHome();
  try {
    await live.start();
    const first = recent(live);
    assert.deepEqual(first.map((c) => c.action).sort(), DEFAULTS, 'the default set of a fresh home');
    assert.ok(first.every((c) => c.subject.display === 'user@local' && c.granted_by.display === 'user@local'));

    const a = okJson(live.cli(['capabilities', 'grant', 'audit.purge', '--json']), 'capability_granted');
    const b = okJson(live.cli(['capabilities', 'grant', 'peers.purge', '--json']), 'capability_granted');
    const json = okJson(live.cli(['capabilities', 'recent', '--json', '-n', '2']), 'capability_list');
    assert.equal(json.limit, 2);
    const caps = json.capabilities as CapView[];
    assert.deepEqual(caps.map((c) => c.id), [b.id, a.id], 'newest first');
    assert.deepEqual(Object.keys(caps[0]!).sort(), [
      'action', 'expires_at', 'granted_by', 'id', 'issued_at', 'parent_id', 'revoked_at', 'scope', 'signature_b58', 'subject',
    ]);
    assert.equal(okJson(live.cli(['capabilities', 'recent', '--json']), 'capability_list').limit, 20);

    // A peer sees only what it holds or granted.
    const bob = addPeer(live, 'bob');
    assert.deepEqual(recent(live, { COVENANT_TOKEN: bob.token }), []);
    const forBob = okJson(live.cli(['capabilities', 'grant', 'memory.write', '--to', 'bob@peer', '--json']), 'capability_granted');
    assert.deepEqual(recent(live, { COVENANT_TOKEN: bob.token }).map((c) => c.id), [forBob.id]);

    for (const bad of ['0', '1001', 'x']) assert.equal(live.cli(['capabilities', 'recent', '--json', '-n', bad]).code, 2, bad);
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_capability_recent_plain', async () => {
  const live = liveHome();
  try {
    await live.start();
    addPeer(live, 'alice');
    const at = Date.now() + 600_000;
    okJson(live.cli(['capabilities', 'grant', 'memory.read', '--to', 'alice@peer', '--expires-at', String(at), '--json']), 'capability_granted');
    const revoked = okJson(live.cli(['capabilities', 'grant', 'audit.purge', '--json']), 'capability_granted');
    okJson(live.cli(['capabilities', 'revoke', String(revoked.id), '--json']), 'capability_revoked');

    const result = live.cli(['capabilities', 'recent', '-n', '100']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const lines = result.stdout.trimEnd().split('\n');
    assert.equal(lines.length, DEFAULTS.length + 2);
    const format = /^[0-9a-f]{8} {2}(\S+) → (\S+) \((\S+)\) \[(expires \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(in [^)]+\)|perpetual)\]( \(revoked\))?$/;
    for (const line of lines) assert.match(line, format);
    const withoutId = lines.map((line) => line.slice(10));
    assert.equal(withoutId[0], 'user@local → audit.purge (user@local) [perpetual] (revoked)');
    const iso = new Date(at).toISOString().replace(/\.\d{3}Z$/, 'Z');
    assert.ok(withoutId[1]!.startsWith(`alice@peer → memory.read (user@local) [expires ${iso} (in `), withoutId[1]);
    assert.ok(withoutId.includes('user@local → peers.list (user@local) [perpetual]'));

    const bob = addPeer(live, 'bob');
    const empty = live.cli(['capabilities', 'recent'], { COVENANT_TOKEN: bob.token });
    assert.equal(empty.code, 0);
    assert.equal(empty.stdout, 'no capabilities\n');
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_capability_revoke', async () => {
  const live = liveHome();
  try {
    await live.start();
    const alice = addPeer(live, 'alice');
    const eve = addPeer(live, 'eve');
    const byId = okJson(live.cli(['capabilities', 'grant', 'peers.list', '--to', 'alice@peer', '--json']), 'capability_granted');
    okJson(live.cli(['peers', 'list', '--json'], { COVENANT_TOKEN: alice.token }), 'peer_list');

    // A stranger may not revoke it; the refusal is audited.
    errorJson(live.cli(['capabilities', 'revoke', String(byId.id), '--json'], { COVENANT_TOKEN: eve.token }), 'E_FORBIDDEN');
    const revoked = okJson(live.cli(['capabilities', 'revoke', String(byId.id), '--json']), 'capability_revoked');
    assert.equal(revoked.id, byId.id);
    assert.deepEqual(revoked.removed, [byId.id]);
    errorJson(live.cli(['peers', 'list', '--json'], { COVENANT_TOKEN: alice.token }), 'E_CAPABILITY_MISSING');
    assert.equal(typeof recent(live, { COVENANT_TOKEN: alice.token })[0]!.revoked_at, 'number');
    const again = okJson(live.cli(['capabilities', 'revoke', String(byId.id), '--json']), 'capability_revoked');
    assert.deepEqual(again.removed, []);

    // By signature, in the human format, by the subject itself.
    const bySig = okJson(live.cli(['capabilities', 'grant', 'memory.write', '--to', 'alice@peer', '--json']), 'capability_granted');
    const plain = live.cli(['capabilities', 'revoke', String(bySig.signature_b58)], { COVENANT_TOKEN: alice.token });
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stdout, `revoked ${String(bySig.id)}\n`);

    errorJson(live.cli(['capabilities', 'revoke', 'no-such-id', '--json']), 'E_NOT_FOUND');
    const missing = live.cli(['capabilities', 'revoke', 'no-such-id']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.match(missing.stderr, /E_NOT_FOUND/);
    const rows = auditEvents(live, 'capability_revoke_rejected');
    assert.equal(rows.length, 3);
    assert.equal(rows.filter((row) => row.issuer.pubkey === eve.pubkey).length, 1);
    assert.equal(auditEvents(live, 'capability_revoked').length, 3);
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_capability_purge', async () => {
  const live = liveHome();
  try {
    await live.start();
    const dead = okJson(live.cli(['capabilities', 'grant', 'chain.flush', '--json']), 'capability_granted');
    okJson(live.cli(['capabilities', 'revoke', String(dead.id), '--json']), 'capability_revoked');
    await sleep(5);

    const refused = errorJson(live.cli(['capabilities', 'purge', '--older-than-ms', '0', '--json']), 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /covenant capabilities grant capabilities\.purge/);
    const check = auditEvents(live, 'capability_check').find((row) => row.payload.required === 'capabilities.purge');
    assert.equal(check?.payload.passed, false);

    okJson(live.cli(['capabilities', 'grant', 'capabilities.purge', '--json']), 'capability_granted');
    const purged = okJson(live.cli(['capabilities', 'purge', '--older-than-ms', '0', '--json']), 'capabilities_purged');
    assert.equal(purged.purged, 1);
    assert.ok(Math.abs(Number(purged.before_ms) - Date.now()) < 60_000);
    const left = recent(live);
    assert.equal(left.some((c) => c.id === dead.id), false);
    assert.equal(left.filter((c) => c.revoked_at === null).length, DEFAULTS.length + 1, 'live capabilities are kept');

    const plain = live.cli(['capabilities', 'purge', '--before-ms', '1000']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^purged 0 capability records older than 1970-01-01T00:00:01Z \(\d+d( \d+h)? ago\)\n$/);
    for (const args of [[], ['--before-ms', '1', '--older-than-ms', '1'], ['--older-than-ms', 'soon']]) {
      const bad = live.cli(['capabilities', 'purge', '--json', ...args]);
      assert.equal(bad.code, 2, args.join(' '));
      assert.equal(bad.stdout, '');
    }
    errorJson(live.cli(['capabilities', 'purge', '--before-ms', String(Date.now() + 3_600_000), '--json']), 'E_BAD_REQUEST');
    assert.equal(auditEvents(live, 'capabilities_purged').length, 2);
  } finally {
    await live.dispose();
  }
});

liveTest('live_cli_capability_delegation', async () => {
  const live = liveHome();
  try {
    await live.start();
    const alice = addPeer(live, 'alice');
    const bob = addPeer(live, 'bob');
    addPeer(live, 'carol');
    const asAlice = (args: string[]) => live.cli(['--token-file', alice.tokenFile, ...args]);
    const asBob = (args: string[]) => live.cli(args, { COVENANT_TOKEN: bob.token });

    // Without a delegable capability alice cannot grant.
    errorJson(asAlice(['capabilities', 'grant', 'memory.read', '--to', 'bob@peer', '--json']), 'E_GRANT_REJECTED');

    const parent = okJson(
      live.cli(['capabilities', 'grant', 'memory.read', '--to', 'alice@peer', '--scope', '{"delegate":true,"tier":["working","episodic"]}', '--json']),
      'capability_granted',
    );
    const child = okJson(
      asAlice(['capabilities', 'grant', 'memory.read', '--to', 'bob@peer', '--scope', '{"tier":["working"]}', '--json']),
      'capability_granted',
    );
    assert.equal(child.parent_id, parent.id);
    assert.equal(child.subject_pubkey, bob.pubkey);
    const bobView = recent(live, { COVENANT_TOKEN: bob.token }).find((c) => c.id === child.id)!;
    assert.equal(bobView.granted_by.pubkey, alice.pubkey, 'signed by alice');

    // Widening is refused and audited; bob cannot pass on what he was not allowed to delegate.
    const widened = errorJson(
      asAlice(['capabilities', 'grant', 'memory.read', '--to', 'bob@peer', '--scope', '{"tier":["working","longterm"]}', '--json']),
      'E_GRANT_REJECTED',
    );
    assert.match(String(widened.message), /widens/);
    errorJson(asAlice(['capabilities', 'grant', 'memory.read', '--to', 'bob@peer', '--json']), 'E_GRANT_REJECTED');
    errorJson(asBob(['capabilities', 'grant', 'memory.read', '--to', 'carol@peer', '--scope', '{"tier":["working"]}', '--json']), 'E_GRANT_REJECTED');
    const rejections = auditEvents(live, 'capability_grant_rejected');
    assert.equal(rejections.filter((row) => row.issuer.pubkey === alice.pubkey).length, 3);
    assert.equal(rejections.filter((row) => row.issuer.pubkey === bob.pubkey).length, 1);

    // An observable chain: a delegated peers.list lets bob list peers until the root is revoked.
    const listRoot = okJson(
      live.cli(['capabilities', 'grant', 'peers.list', '--to', 'alice@peer', '--scope', '{"delegate":true}', '--json']),
      'capability_granted',
    );
    const listChild = okJson(asAlice(['capabilities', 'grant', 'peers.list', '--to', 'bob@peer', '--json']), 'capability_granted');
    okJson(asBob(['peers', 'list', '--json']), 'peer_list');

    const revoked = okJson(live.cli(['capabilities', 'revoke', String(parent.id), '--json']), 'capability_revoked');
    assert.deepEqual(revoked.removed, [parent.id, child.id]);
    const revokedList = okJson(live.cli(['capabilities', 'revoke', String(listRoot.id), '--json']), 'capability_revoked');
    assert.deepEqual(revokedList.removed, [listRoot.id, listChild.id]);
    errorJson(asBob(['peers', 'list', '--json']), 'E_CAPABILITY_MISSING');
    const bobCaps = recent(live, { COVENANT_TOKEN: bob.token });
    assert.ok(bobCaps.length === 2 && bobCaps.every((c) => typeof c.revoked_at === 'number'));
  } finally {
    await live.dispose();
  }
});
