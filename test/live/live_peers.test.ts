// Live tests for peer authentication, the token lifecycle and peer listing (SPEC 8, 9): the real
// covenantd and covenant binaries on a temporary COVENANT_HOME. External service: none beyond
// the two binaries, the Unix socket and the SQLite file.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { IpcClient } from '../../src/ipc/index.js';
import { mintToken } from '../../src/peers/index.js';
import { DAEMON_BIN } from '../helpers/binaries.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, auditEvents, okJson, refusedJson, writeTokenFile } from './helpers.js';

interface PeerView {
  agent_id: { display: string; pubkey: string };
  token_prefix: string;
  registered_at: number;
  revoked_at: number | null;
}

function asToken(token: string): NodeJS.ProcessEnv {
  return { COVENANT_TOKEN: token };
}

function listJson(live: LiveHome, args: string[] = [], env: NodeJS.ProcessEnv = {}): Record<string, unknown> {
  return okJson(live.cli(['peers', 'list', '--json', ...args], env), 'peer_list');
}

async function watchConnection(sock: string, token: string): Promise<RawSocket> {
  const raw = await RawSocket.open(sock);
  raw.send({ kind: 'authenticate', token_b58: token });
  const [first] = (await raw.waitFrames(1)) as Array<Record<string, unknown>>;
  assert.equal(first?.kind, 'authenticated');
  return raw;
}

// ---------------------------------------------------------------------------------- auth

liveTest('live_peer_auth_rejects_unknown_token', async () => {
  const live = liveHome();
  try {
    const daemon = await live.start();
    const unknown = mintToken();
    const refused = refusedJson(live.cli(['ping', '--json'], asToken(unknown)));
    assert.equal(refused.kind, 'error');
    assert.equal(refused.code, 'E_AUTH_FAILED');
    assert.match(String(refused.message), /refused the token/);
    assert.equal(String(refused.message).includes(unknown), false);

    const plain = live.cli(['ping'], asToken(unknown));
    assert.equal(plain.code, 1);
    assert.equal(plain.stdout, '');
    assert.match(plain.stderr, /E_AUTH_FAILED/);

    const tokenFile = writeTokenFile(live, 'unknown', unknown);
    assert.equal(refusedJson(live.cli(['--token-file', tokenFile, 'peers', 'list', '--json'])).code, 'E_AUTH_FAILED');

    // A raw request without authenticating first.
    const raw = await RawSocket.open(daemon.sock);
    raw.send({ kind: 'peers_list' });
    await raw.waitClosed();
    assert.deepEqual(raw.frames, [{ kind: 'authentication_failed', reason: 'first frame must be authenticate' }]);

    // The operator still works and sees the refusals: transport ipc, prefix only.
    const events = auditEvents(live, 'authentication_failed');
    assert.equal(events.length, 4);
    assert.ok(events.every((e) => e.payload.transport === 'ipc'));
    assert.equal(events.filter((e) => e.payload.token_prefix === unknown.slice(0, 6)).length, 3);
    assert.equal(events.filter((e) => e.payload.reason === 'first frame must be authenticate').length, 1);
    const everything = live.cli(['audit', 'recent', '--json', '-n', '1000']).stdout;
    assert.equal(everything.includes(unknown), false, 'the unknown token is in the audit log');
    assert.equal(everything.includes(live.operatorToken()), false);
  } finally {
    await live.dispose();
  }
});

// ------------------------------------------------------------------------------ rotation

liveTest('live_operator_token_rotation', async () => {
  const live = liveHome();
  try {
    const daemon = await live.start();
    const oldToken = live.operatorToken();
    const open = await IpcClient.connect(daemon.sock);
    await open.authenticate(oldToken);

    const rotated = okJson(live.cli(['peers', 'rotate', '--json']), 'operator_token_rotated');
    const newToken = live.operatorToken();
    assert.notEqual(newToken, oldToken);
    assert.equal(rotated.token_b58, newToken, 'the printed token is the one persisted');
    assert.equal(rotated.old_prefix, oldToken.slice(0, 6));
    assert.equal(rotated.new_prefix, newToken.slice(0, 6));
    assert.equal(statSync(join(live.home, 'peers', 'operator.token')).mode & 0o777, 0o600);

    await assert.rejects(open.request({ kind: 'ping' }), (e: Error & { code?: string }) => e.code === 'E_DAEMON_UNREACHABLE');
    assert.equal(refusedJson(live.cli(['ping', '--json'], asToken(oldToken))).code, 'E_AUTH_FAILED');
    okJson(live.cli(['ping', '--json']), 'daemon_ping');

    const rows = auditEvents(live, 'operator_token_rotated');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.payload, { old_prefix: oldToken.slice(0, 6), new_prefix: newToken.slice(0, 6) });

    // A peer may not rotate.
    const peer = addPeer(live, 'notop');
    assert.equal(refusedJson(live.cli(['peers', 'rotate', '--json'], asToken(peer.token))).code, 'E_FORBIDDEN');
    assert.equal(live.operatorToken(), newToken);

    // Across a restart, then once more in the human format.
    await daemon.stop('SIGTERM');
    await live.start();
    assert.equal(refusedJson(live.cli(['ping', '--json'], asToken(oldToken))).code, 'E_AUTH_FAILED');
    okJson(live.cli(['ping', '--json']), 'daemon_ping');
    const plain = live.cli(['peers', 'rotate']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(plain.stderr, '');
    const third = live.operatorToken();
    assert.equal(
      plain.stdout,
      `operator token rotated: ${newToken.slice(0, 6)}… revoked, ${third.slice(0, 6)}… written to peers/operator.token\n` +
        `new token (shown once): ${third}\n`,
    );
    assert.equal(refusedJson(live.cli(['ping', '--json'], asToken(newToken))).code, 'E_AUTH_FAILED');
  } finally {
    await live.dispose();
  }
});

// -------------------------------------------------------------------------------- revoke

liveTest('live_peer_revoke_json', async () => {
  const live = liveHome();
  try {
    const daemon = await live.start();
    const alice = addPeer(live, 'alice');
    const bob = addPeer(live, 'bob');
    okJson(live.cli(['ping', '--json'], asToken(alice.token)), 'daemon_ping');
    const aliceConnection = await watchConnection(daemon.sock, alice.token);
    const bobConnection = await watchConnection(daemon.sock, bob.token);

    const revoked = okJson(live.cli(['peers', 'revoke', alice.token.slice(0, 6), '--json']), 'peer_revoke');
    const outcome = revoked.outcome as { type: string; peer: PeerView; connections_closed: number };
    assert.equal(outcome.type, 'revoked');
    assert.deepEqual(outcome.peer.agent_id, alice.agent);
    assert.equal(outcome.peer.token_prefix, alice.token.slice(0, 6));
    assert.equal(typeof outcome.peer.revoked_at, 'number');
    assert.equal(outcome.connections_closed, 1);
    await aliceConnection.waitClosed(2000);
    assert.equal(bobConnection.closed, false, "bob's connection stays open");
    bobConnection.destroy();

    assert.equal(refusedJson(live.cli(['ping', '--json'], asToken(alice.token))).code, 'E_AUTH_FAILED');
    okJson(live.cli(['ping', '--json'], asToken(bob.token)), 'daemon_ping');

    const again = okJson(live.cli(['peers', 'revoke', alice.token.slice(0, 6), '--json']), 'peer_revoke');
    assert.equal((again.outcome as { type: string }).type, 'already_revoked');
    assert.equal((again.outcome as { peer: PeerView }).peer.revoked_at, outcome.peer.revoked_at);

    const notFound = refusedJson(live.cli(['peers', 'revoke', 'zzzzzz', '--json']));
    assert.deepEqual(notFound, {
      kind: 'peer_revoke',
      outcome: { type: 'not_found', prefix: 'zzzzzz', matched_on: 'token_prefix', code: 'E_NOT_FOUND', message: 'no token starts with zzzzzz; see `covenant peers list`' },
    });

    // The whole token is accepted too.
    const carol = addPeer(live, 'carol');
    const whole = okJson(live.cli(['peers', 'revoke', carol.token, '--json']), 'peer_revoke');
    assert.equal((whole.outcome as { type: string }).type, 'revoked');

    const audited = auditEvents(live, 'peer_revoked');
    assert.equal(audited.length, 2);
    assert.ok(audited.every((row) => row.payload.outcome === 'revoked'));
    assert.equal(live.cli(['audit', 'recent', '--json', '-n', '1000']).stdout.includes(carol.token), false);

    assert.equal(live.cli(['peers', 'revoke', '0OIl', '--json']).code, 2, 'not base58: usage error');
  } finally {
    await live.dispose();
  }
});

liveTest('live_peer_revoke_plain', async () => {
  const live = liveHome();
  try {
    await live.start();
    const alice = addPeer(live, 'alice');
    const revoked = live.cli(['peers', 'revoke', alice.token.slice(0, 6)]);
    assert.equal(revoked.code, 0, revoked.stderr);
    assert.equal(revoked.stderr, '');
    assert.equal(revoked.stdout, `revoked alice@peer (token ${alice.token.slice(0, 6)}…); 0 open connection(s) closed\n`);
    const again = live.cli(['peers', 'revoke', alice.token.slice(0, 6)]);
    assert.equal(again.code, 0);
    assert.match(again.stdout, new RegExp(`^alice@peer \\(token ${alice.token.slice(0, 6)}…\\) was already revoked \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ \\(.+\\)\\n$`));
    const missing = live.cli(['peers', 'revoke', 'zzzzzz']);
    assert.equal(missing.code, 1);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, 'covenant: no token starts with zzzzzz; see `covenant peers list` (E_NOT_FOUND)\n');

    // Add peers until two tokens share a first character (at most 59 tokens: pigeonhole).
    const tokens = [live.operatorToken(), alice.token];
    let shared: string | undefined;
    for (let i = 0; shared === undefined && i < 60; i += 1) {
      tokens.push(addPeer(live, `amb${i}`).token);
      const first = tokens.at(-1)![0]!;
      if (tokens.slice(0, -1).some((t) => t[0] === first)) shared = first;
    }
    assert.ok(shared, 'two tokens share a first character');
    const ambiguous = live.cli(['peers', 'revoke', shared]);
    assert.equal(ambiguous.code, 1);
    assert.equal(ambiguous.stdout, '');
    const lines = ambiguous.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, new RegExp(`^covenant: ${shared} matches \\d+ tokens; give the whole token, or revoke by identity with --by-pubkey <pubkey-prefix> \\(E_AMBIGUOUS\\)$`));
    assert.ok(lines.length >= 3);
    assert.ok(lines.slice(1).every((line) => line.startsWith(`  ${shared}`)));
    const truncated = refusedJson(live.cli(['peers', 'revoke', shared, '--limit-matches', '1', '--json']));
    const outcome = truncated.outcome as { type: string; matches: PeerView[]; truncated: boolean };
    assert.equal(outcome.type, 'ambiguous');
    assert.equal(outcome.matches.length, 1);
    assert.equal(outcome.truncated, true);
    const cut = live.cli(['peers', 'revoke', shared, '--limit-matches', '1']);
    assert.match(cut.stderr, /\(more not shown; raise --limit-matches\)\n$/);
    // Nothing was revoked by the ambiguous attempts.
    for (const token of tokens.slice(2)) okJson(live.cli(['ping', '--json'], asToken(token)), 'daemon_ping');
  } finally {
    await live.dispose();
  }
});

liveTest('live_peer_self_revoke_rejected', async () => {
  const live = liveHome();
  try {
    await live.start();
    const own = live.operatorToken().slice(0, 6);
    const json = refusedJson(live.cli(['peers', 'revoke', own, '--json']));
    assert.equal(json.kind, 'peer_revoke');
    const outcome = json.outcome as { type: string; prefix: string; message: string };
    assert.equal(outcome.type, 'self_revoke_forbidden');
    assert.equal(outcome.prefix, own);
    assert.match(outcome.message, /covenant peers rotate/);
    const plain = live.cli(['peers', 'revoke', own]);
    assert.equal(plain.code, 1);
    assert.match(plain.stderr, /^covenant: this is the token you are using; rotate it with `covenant peers rotate`.* \(E_FORBIDDEN\)$/m);
    okJson(live.cli(['ping', '--json']), 'daemon_ping');
    const rows = auditEvents(live, 'peer_revoke_rejected');
    assert.equal(rows.filter((row) => row.payload.outcome === 'self_revoke_forbidden').length, 2);
    assert.equal(auditEvents(live, 'peer_revoked').length, 0);
  } finally {
    await live.dispose();
  }
});

liveTest('live_peer_revoke_survives_restart', async () => {
  const live = liveHome();
  try {
    let daemon = await live.start();
    const gone = addPeer(live, 'gone');
    const kept = addPeer(live, 'kept');
    const revoked = okJson(live.cli(['peers', 'revoke', gone.token.slice(0, 6), '--json']), 'peer_revoke');
    const revokedAt = (revoked.outcome as { peer: PeerView }).peer.revoked_at;

    await daemon.stop('SIGTERM');
    daemon = await live.start();
    assert.equal(refusedJson(live.cli(['ping', '--json'], asToken(gone.token))).code, 'E_AUTH_FAILED');
    okJson(live.cli(['ping', '--json'], asToken(kept.token)), 'daemon_ping');
    const list = listJson(live, ['--revoked-only']);
    assert.deepEqual((list.peers as PeerView[]).map((p) => [p.agent_id.display, p.revoked_at]), [['gone@peer', revokedAt]]);

    // A revocation followed by SIGKILL (no graceful shutdown) is durable too.
    okJson(live.cli(['peers', 'revoke', kept.token.slice(0, 6), '--json']), 'peer_revoke');
    assert.equal(await daemon.stop('SIGKILL'), null);
    await live.start();
    assert.equal(refusedJson(live.cli(['ping', '--json'], asToken(kept.token))).code, 'E_AUTH_FAILED');
    assert.deepEqual(
      (listJson(live, ['--revoked-only']).peers as PeerView[]).map((p) => p.agent_id.display),
      ['kept@peer', 'gone@peer'],
    );
  } finally {
    await live.dispose();
  }
});

liveTest('live_operator_recovery_after_forced_self_revoke', async () => {
  const live = liveHome();
  try {
    const daemon = await live.start();
    const oldToken = live.operatorToken();
    const forced = okJson(live.cli(['peers', 'revoke', oldToken.slice(0, 6), '--force', '--json']), 'peer_revoke');
    assert.equal((forced.outcome as { type: string }).type, 'revoked');
    const locked = refusedJson(live.cli(['ping', '--json']));
    assert.equal(locked.code, 'E_AUTH_FAILED');
    assert.match(String(locked.message), /covenantd --recover-operator/);

    // Recovery needs the daemon stopped.
    const recover = () =>
      spawnSync(process.execPath, [DAEMON_BIN, '--home', live.home, '--recover-operator'], { env: live.env, encoding: 'utf8', timeout: 30_000 });
    const busy = recover();
    assert.equal(busy.status, 1, busy.stdout + busy.stderr);
    assert.match(busy.stderr, /E_ALREADY_RUNNING|already running/i);
    assert.equal(live.operatorToken(), oldToken);

    await daemon.stop('SIGTERM');
    const done = recover();
    assert.equal(done.status, 0, done.stderr);
    const fresh = live.operatorToken();
    assert.notEqual(fresh, oldToken);
    assert.match(done.stdout, new RegExp(`operator token recovered \\(prefix ${fresh.slice(0, 6)}\\)`));
    assert.equal(done.stdout.includes(fresh), false, 'the token goes to the file, not the terminal');
    assert.equal(statSync(join(live.home, 'peers', 'operator.token')).mode & 0o777, 0o600);

    await live.start();
    okJson(live.cli(['ping', '--json']), 'daemon_ping');
    assert.equal(refusedJson(live.cli(['ping', '--json'], asToken(oldToken))).code, 'E_AUTH_FAILED');
    const rows = auditEvents(live, 'operator_recovered');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.payload.new_prefix, fresh.slice(0, 6));
    const live_ = listJson(live, ['--live-only']);
    assert.deepEqual((live_.peers as PeerView[]).map((p) => p.token_prefix), [fresh.slice(0, 6)], 'one live operator token');
  } finally {
    await live.dispose();
  }
});

// ------------------------------------------------------------------------------- listing

liveTest('live_peers_list_plain', async () => {
  const live = liveHome();
  try {
    await live.start();
    const alice = addPeer(live, 'alice');
    const bob = addPeer(live, 'bob');
    okJson(live.cli(['peers', 'revoke', alice.token.slice(0, 6), '--json']), 'peer_revoke');
    const operatorPubkey = String(listJson(live).operator_pubkey_b58);

    const result = live.cli(['peers', 'list']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stderr, '');
    const rows = result.stdout.trimEnd().split('\n').map((line) => line.split('\t'));
    assert.equal(rows.length, 3);
    assert.ok(rows.every((row) => row.length === 5), 'tab-separated, five fields');
    assert.deepEqual(rows.map((row) => row[0]), ['bob@peer', 'alice@peer', 'user@local (self)'], 'newest first');
    assert.deepEqual(rows.map((row) => row[1]), [bob.agent.pubkey, alice.agent.pubkey, operatorPubkey]);
    assert.deepEqual(rows.map((row) => row[2]), [`${bob.token.slice(0, 6)}…`, `${alice.token.slice(0, 6)}…`, `${live.operatorToken().slice(0, 6)}…`]);
    for (const row of rows) assert.match(row[3]!, /^registered \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \((now|\S+( \S+)? ago)\)$/);
    assert.equal(rows[0]![4], 'live');
    assert.match(rows[1]![4]!, /^revoked \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \((now|\S+( \S+)? ago)\)$/);
    assert.equal(rows[2]![4], 'live');
    assert.equal(result.stdout.includes('truncated'), false);
    assert.equal(result.stdout.includes(bob.token), false);
  } finally {
    await live.dispose();
  }
});

liveTest('live_peers_list_json', async () => {
  const live = liveHome();
  try {
    await live.start();
    const guest = addPeer(live, 'guest');
    const json = listJson(live);
    assert.equal(json.limit, 20);
    assert.equal(json.filter_pubkey_prefix, null);
    assert.equal(json.status_filter, 'all');
    assert.equal(json.matched_count, 2);
    assert.equal(json.truncated, false);
    assert.match(String(json.operator_pubkey_b58), /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    const peers = json.peers as PeerView[];
    assert.deepEqual(peers.map((p) => p.agent_id.display), ['guest@peer', 'user@local']);
    assert.equal(peers[1]!.agent_id.pubkey, json.operator_pubkey_b58);
    assert.deepEqual(Object.keys(peers[0]!).sort(), ['agent_id', 'registered_at', 'revoked_at', 'token_prefix']);
    assert.ok(peers[0]!.registered_at >= peers[1]!.registered_at);

    // A peer needs peers.list; the refusal names the grant command and is audited.
    const refused = refusedJson(live.cli(['peers', 'list', '--json'], asToken(guest.token)));
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /covenant capabilities grant peers\.list --to guest@peer/);
    const check = auditEvents(live, 'capability_check').find((row) => row.issuer.pubkey === guest.agent.pubkey);
    assert.equal(check?.payload.passed, false);
    okJson(live.cli(['capabilities', 'grant', 'peers.list', '--to', 'guest@peer', '--json']), 'capability_granted');
    assert.equal(listJson(live, [], asToken(guest.token)).matched_count, 2);
  } finally {
    await live.dispose();
  }
});

liveTest('live_peers_list_truncation', async () => {
  const live = liveHome();
  try {
    await live.start();
    for (const name of ['a1', 'a2', 'a3']) addPeer(live, name);
    const json = listJson(live, ['-n', '2']);
    assert.equal(json.limit, 2);
    assert.equal(json.matched_count, 4);
    assert.equal(json.truncated, true);
    assert.deepEqual((json.peers as PeerView[]).map((p) => p.agent_id.display), ['a3@peer', 'a2@peer']);

    const plain = live.cli(['peers', 'list', '--limit', '2']);
    assert.equal(plain.code, 0);
    const lines = plain.stdout.trimEnd().split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[2], '(truncated; 2 shown — narrow with --prefix or raise --limit)');
    const exact = listJson(live, ['-n', '4']);
    assert.equal(exact.truncated, false);
    assert.equal((exact.peers as PeerView[]).length, 4);

    for (const bad of ['0', 'abc', '1001', '-1']) {
      const result = live.cli(['peers', 'list', '--json', '-n', bad]);
      assert.equal(result.code, 2, `-n ${bad}`);
      assert.equal(result.stdout, '');
    }
  } finally {
    await live.dispose();
  }
});

liveTest('live_peers_list_live_only', async () => {
  const live = liveHome();
  try {
    await live.start();
    const dead = addPeer(live, 'dead');
    addPeer(live, 'alive');
    okJson(live.cli(['peers', 'revoke', dead.token.slice(0, 6), '--json']), 'peer_revoke');
    const json = listJson(live, ['--live-only']);
    assert.equal(json.status_filter, 'live');
    assert.equal(json.matched_count, 2);
    assert.deepEqual((json.peers as PeerView[]).map((p) => p.agent_id.display), ['alive@peer', 'user@local']);
    assert.ok((json.peers as PeerView[]).every((p) => p.revoked_at === null));
    // Filters apply before the limit.
    const one = listJson(live, ['--live-only', '-n', '1']);
    assert.deepEqual((one.peers as PeerView[]).map((p) => p.agent_id.display), ['alive@peer']);
    assert.equal(one.truncated, true);

    const both = live.cli(['peers', 'list', '--live-only', '--revoked-only', '--json']);
    assert.equal(both.code, 2);
    assert.equal(both.stdout, '');
    assert.match(both.stderr, /cannot be used with/);
  } finally {
    await live.dispose();
  }
});

liveTest('live_peers_list_revoked_only', async () => {
  const live = liveHome();
  try {
    await live.start();
    const first = addPeer(live, 'first');
    const second = addPeer(live, 'second');
    addPeer(live, 'third');
    assert.deepEqual(listJson(live, ['--revoked-only']).peers, []);
    okJson(live.cli(['peers', 'revoke', second.token.slice(0, 6), '--json']), 'peer_revoke');
    okJson(live.cli(['peers', 'revoke', first.token.slice(0, 6), '--json']), 'peer_revoke');
    const json = listJson(live, ['--revoked-only']);
    assert.equal(json.status_filter, 'revoked');
    assert.equal(json.matched_count, 2);
    const peers = json.peers as PeerView[];
    assert.deepEqual(peers.map((p) => p.agent_id.display), ['second@peer', 'first@peer'], 'newest registration first');
    assert.ok(peers.every((p) => typeof p.revoked_at === 'number'));
    const plain = live.cli(['peers', 'list', '--revoked-only']);
    const rows = plain.stdout.trimEnd().split('\n');
    assert.equal(rows.length, 2);
    assert.ok(rows.every((row) => /\trevoked \d{4}-\d\d-\d\dT\S+Z \(.+\)$/.test(row)));
  } finally {
    await live.dispose();
  }
});

liveTest('live_peers_list_prefix', async () => {
  const live = liveHome();
  try {
    await live.start();
    const peers = ['pa', 'pb', 'pc'].map((name) => addPeer(live, name));
    const all = [...peers.map((p) => p.agent.pubkey), String(listJson(live).operator_pubkey_b58)];
    const target = peers[1]!.agent.pubkey;
    let length = 1;
    while (all.filter((pk) => pk.startsWith(target.slice(0, length))).length > 1) length += 1;
    const prefix = target.slice(0, length);
    const json = listJson(live, ['--prefix', prefix]);
    assert.equal(json.filter_pubkey_prefix, prefix);
    assert.equal(json.matched_count, 1);
    assert.deepEqual((json.peers as PeerView[]).map((p) => p.agent_id.pubkey), [target]);
    const operatorOnly = listJson(live, ['--prefix', all[3]!]);
    assert.deepEqual((operatorOnly.peers as PeerView[]).map((p) => p.agent_id.display), ['user@local']);
    const none = listJson(live, ['--prefix', '1111111111']);
    assert.equal(none.matched_count, 0);
    assert.deepEqual(none.peers, []);
    const plain = live.cli(['peers', 'list', '--prefix', prefix]);
    assert.equal(plain.stdout.trimEnd().split('\n').length, 1);
    assert.ok(plain.stdout.startsWith('pb@peer\t'));
    const bad = live.cli(['peers', 'list', '--json', '--prefix', '0OIl']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
  } finally {
    await live.dispose();
  }
});
