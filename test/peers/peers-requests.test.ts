/**
 * Peer requests over IPC with an in-process daemon (SPEC 8, 9): add, list, rotate, revoke, purge,
 * the peers.list capability, disconnects, recovery, and persistence across a restart.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { AuditLog } from '../../src/audit/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { homePaths } from '../../src/home/index.js';
import { loadOrCreateDaemonIdentity } from '../../src/identity/index.js';
import { hashToken, mintToken, PeerRegistry, recoverOperator } from '../../src/peers/index.js';
import { openDatabase } from '../../src/store/index.js';
import { DaemonFixture, withDaemonFixture } from '../helpers/daemon-fixture.js';
import { sleep } from '../helpers/wait.js';

const withFixture = (fn: (f: DaemonFixture) => Promise<void>) => withDaemonFixture(DaemonFixture, fn);

interface PeerView {
  agent_id: { display: string; pubkey: string };
  token_prefix: string;
  registered_at: number;
  revoked_at: number | null;
}

function databaseBytes(home: string): Buffer {
  const db = homePaths(home).db;
  return Buffer.concat([db, `${db}-wal`, `${db}-shm`].filter((p) => existsSync(p)).map((p) => readFileSync(p)));
}

// ------------------------------------------------------------------------------------------ add

test('peers add: registers a keypair identity, shows the token once, stores only its hash', async () => {
  await withFixture(async (f) => {
    const reply = await f.call({ kind: 'peers_add', name: 'alice' });
    assert.equal(reply.kind, 'peer_added');
    const agent = reply.agent_id as { display: string; pubkey: string };
    const token = String(reply.token_b58);
    assert.equal(agent.display, 'alice@peer');
    assert.match(agent.pubkey, /^[1-9A-HJ-NP-Za-km-z]{32,44}$/);
    assert.notEqual(agent.pubkey, f.ctx.identity.agentId.pubkey);
    assert.match(token, /^[1-9A-HJ-NP-Za-km-z]{40,44}$/);
    assert.ok(f.ctx.identityKeys.keyFor(agent.pubkey), 'the daemon holds the peer keypair');

    // The token works, and is the only secret shown: later answers carry the prefix only.
    const alice = await f.session(token);
    assert.deepEqual(await alice.request({ kind: 'ping' }), { kind: 'daemon_ping', status: 'ok' });
    alice.close();
    const list = await f.call({ kind: 'peers_list' });
    assert.equal(JSON.stringify(list).includes(token), false);
    const listed = (list.peers as PeerView[]).find((p) => p.agent_id.pubkey === agent.pubkey);
    assert.equal(listed?.token_prefix, token.slice(0, 6));

    const [added] = f.audit('peer_added');
    assert.deepEqual(added?.payload, { agent_id: agent, token_prefix: token.slice(0, 6) });
    assert.equal(added?.issuer_pubkey, f.ctx.identity.agentId.pubkey);

    // Only the hash is stored: search every byte of the database files (WAL included).
    f.ctx.db.pragma('wal_checkpoint(PASSIVE)');
    const bytes = databaseBytes(f.home);
    assert.ok(bytes.includes(Buffer.from(hashToken(token))), 'control: the token hash is found in the database bytes');
    assert.equal(bytes.includes(Buffer.from(token)), false, 'the token itself is in the database');
    assert.equal(bytes.includes(Buffer.from(f.operatorToken())), false, 'the operator token is in the database');
  });
});

test('peers add: a live duplicate name is refused with E_CONFLICT and audited; the operator only', async () => {
  await withFixture(async (f) => {
    const first = await f.addPeer('bob');
    const duplicate = await f.call({ kind: 'peers_add', name: 'bob' });
    assert.equal(duplicate.kind, 'error');
    assert.equal(duplicate.code, 'E_CONFLICT');
    assert.match(String(duplicate.message), /bob@peer/);
    const rejected = f.audit('request_rejected').at(-1);
    assert.deepEqual(
      { kind: rejected?.payload.request_kind, code: rejected?.payload.code },
      { kind: 'peers_add', code: 'E_CONFLICT' },
    );
    assert.equal(f.audit('peer_added').length, 1);

    // A peer may not add peers.
    const byPeer = await f.call({ kind: 'peers_add', name: 'carol' }, first.token);
    assert.equal(byPeer.code, 'E_FORBIDDEN');
    // Bad names are a bad request.
    assert.equal((await f.call({ kind: 'peers_add', name: 'Bad Name' })).code, 'E_BAD_REQUEST');
  });
});

// ----------------------------------------------------------------------------------------- list

test('peers list: newest first, filters before the limit, truncation and matched_count', async () => {
  await withFixture(async (f) => {
    const added: Awaited<ReturnType<DaemonFixture['addPeer']>>[] = [];
    for (const name of ['p1', 'p2', 'p3', 'p4']) added.push(await f.addPeer(name));
    // Revoke p2 and p3.
    for (const peer of [added[1]!, added[2]!]) {
      const reply = await f.call({ kind: 'peers_revoke', token_prefix: peer.token.slice(0, 6) });
      assert.equal((reply.outcome as { type: string }).type, 'revoked');
    }
    const operatorPubkey = f.ctx.identity.agentId.pubkey;

    const all = await f.call({ kind: 'peers_list' });
    assert.equal(all.kind, 'peer_list');
    assert.equal(all.limit, 20);
    assert.equal(all.status_filter, 'all');
    assert.equal(all.filter_pubkey_prefix, null);
    assert.equal(all.operator_pubkey_b58, operatorPubkey);
    assert.equal(all.matched_count, 5, 'four peers and the operator token');
    assert.equal(all.truncated, false);
    const displays = (all.peers as PeerView[]).map((p) => p.agent_id.display);
    assert.deepEqual(displays, ['p4@peer', 'p3@peer', 'p2@peer', 'p1@peer', 'user@local'], 'newest first');
    const registered = (all.peers as PeerView[]).map((p) => p.registered_at);
    assert.deepEqual(registered, [...registered].sort((a, b) => b - a));

    const limited = await f.call({ kind: 'peers_list', limit: 2 });
    assert.deepEqual((limited.peers as PeerView[]).map((p) => p.agent_id.display), ['p4@peer', 'p3@peer']);
    assert.equal(limited.matched_count, 5);
    assert.equal(limited.truncated, true);
    assert.equal(limited.limit, 2);

    const live = await f.call({ kind: 'peers_list', status: 'live' });
    assert.deepEqual((live.peers as PeerView[]).map((p) => p.agent_id.display), ['p4@peer', 'p1@peer', 'user@local']);
    assert.ok((live.peers as PeerView[]).every((p) => p.revoked_at === null));
    assert.equal(live.status_filter, 'live');

    // Filters apply before the limit: the newest two revoked, not the revoked among the newest two.
    const revoked = await f.call({ kind: 'peers_list', status: 'revoked', limit: 1 });
    assert.deepEqual((revoked.peers as PeerView[]).map((p) => p.agent_id.display), ['p3@peer']);
    assert.equal(revoked.matched_count, 2);
    assert.equal(revoked.truncated, true);
    assert.equal(typeof (revoked.peers as PeerView[])[0]!.revoked_at, 'number');

    const target = added[0]!.agent.pubkey;
    const prefixLength = Array.from({ length: target.length }, (_, i) => i + 1).find((n) => {
      const prefix = target.slice(0, n);
      return [...added.map((a) => a.agent.pubkey), operatorPubkey].filter((pk) => pk.startsWith(prefix)).length === 1;
    })!;
    const byPrefix = await f.call({ kind: 'peers_list', prefix: target.slice(0, prefixLength) });
    assert.deepEqual((byPrefix.peers as PeerView[]).map((p) => p.agent_id.pubkey), [target]);
    assert.equal(byPrefix.filter_pubkey_prefix, target.slice(0, prefixLength));
    assert.equal(byPrefix.matched_count, 1);

    const none = await f.call({ kind: 'peers_list', prefix: '1111111111' });
    assert.deepEqual(none.peers, []);
    assert.equal(none.matched_count, 0);
    assert.equal(none.truncated, false);

    assert.equal((await f.call({ kind: 'peers_list', prefix: '0OIl' })).code, 'E_BAD_REQUEST');
  });
});

test('peers list: a peer without peers.list is refused and audited; with it, it may list', async () => {
  await withFixture(async (f) => {
    const guest = await f.addPeer('guest');
    const refused = await f.call({ kind: 'peers_list' }, guest.token);
    assert.equal(refused.kind, 'error');
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /covenant capabilities grant peers\.list --to guest@peer/);
    const check = f.audit('capability_check').at(-1)!;
    assert.equal(check.issuer_pubkey, guest.agent.pubkey);
    assert.equal(check.payload.required, 'peers.list');
    assert.equal(check.payload.passed, false);
    assert.equal(check.payload.missing, 'peers.list');

    const grant = await f.call({ kind: 'capabilities_grant', action: 'peers.list', to: 'guest@peer' });
    assert.equal(grant.kind, 'capability_granted', JSON.stringify(grant));
    const listed = await f.call({ kind: 'peers_list' }, guest.token);
    assert.equal(listed.kind, 'peer_list');
    assert.equal(f.audit('capability_check').at(-1)!.payload.passed, true);
  });
});

// --------------------------------------------------------------------------------------- rotate

test('peers rotate: the new token is persisted, the old one refused and its connections closed', async () => {
  await withFixture(async (f) => {
    const oldToken = f.operatorToken();
    const watcher = await f.openRaw(oldToken);
    const reply = await f.call({ kind: 'peers_rotate' });
    assert.equal(reply.kind, 'operator_token_rotated');
    const newToken = String(reply.token_b58);
    assert.notEqual(newToken, oldToken);
    assert.equal(reply.old_prefix, oldToken.slice(0, 6));
    assert.equal(reply.new_prefix, newToken.slice(0, 6));
    assert.equal(f.operatorToken(), newToken, 'peers/operator.token holds the new token');

    await watcher.waitClosed();
    assert.equal(watcher.closed, true, 'the open connection of the old token was closed');

    await f.authFails(oldToken);
    assert.deepEqual(await f.call({ kind: 'ping' }, newToken), { kind: 'daemon_ping', status: 'ok' });
    const me = await (await f.session(newToken)).request({ kind: 'peers_list', status: 'revoked' });
    assert.deepEqual((me.peers as PeerView[]).map((p) => p.token_prefix), [oldToken.slice(0, 6)]);

    const rows = f.audit('operator_token_rotated');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.payload, { old_prefix: oldToken.slice(0, 6), new_prefix: newToken.slice(0, 6) });
    const text = JSON.stringify(f.ctx.db.prepare('SELECT * FROM audit_events').all());
    assert.equal(text.includes(newToken), false);
    assert.equal(text.includes(oldToken), false);

    // A peer may not rotate.
    const peer = await f.addPeer('rot');
    assert.equal((await f.call({ kind: 'peers_rotate' }, peer.token)).code, 'E_FORBIDDEN');
    assert.equal(f.operatorToken(), newToken);
  });
});

// --------------------------------------------------------------------------------------- revoke

test('peers revoke: revoked, then already_revoked; the open connection closes at once', async () => {
  await withFixture(async (f) => {
    const alice = await f.addPeer('alice');
    const aliceConnection = await f.openRaw(alice.token);
    const second = await f.openRaw(alice.token);
    const bystander = await f.addPeer('bystander');
    const bystanderConnection = await f.openRaw(bystander.token);

    const reply = await f.call({ kind: 'peers_revoke', token_prefix: alice.token.slice(0, 6) });
    assert.equal(reply.kind, 'peer_revoke');
    const outcome = reply.outcome as { type: string; peer: PeerView; connections_closed: number };
    assert.equal(outcome.type, 'revoked');
    assert.equal(outcome.peer.agent_id.pubkey, alice.agent.pubkey);
    assert.equal(typeof outcome.peer.revoked_at, 'number');
    assert.equal(outcome.connections_closed, 2);
    await aliceConnection.waitClosed();
    await second.waitClosed();
    assert.equal(bystanderConnection.closed, false, 'another token keeps its connection');
    bystanderConnection.send({ kind: 'ping', id: 'still' });
    const frames = (await bystanderConnection.waitFrames(2)) as Array<Record<string, unknown>>;
    assert.deepEqual(frames[1], { kind: 'daemon_ping', status: 'ok', id: 'still' });
    await f.authFails(alice.token);
    assert.deepEqual(f.audit('peer_revoked').at(-1)!.payload, {
      prefix: alice.token.slice(0, 6),
      outcome: 'revoked',
      agent: alice.agent,
      forced: false,
    });

    const again = await f.call({ kind: 'peers_revoke', token_prefix: alice.token.slice(0, 6) });
    const againOutcome = again.outcome as { type: string; peer: PeerView };
    assert.equal(againOutcome.type, 'already_revoked');
    assert.equal(againOutcome.peer.revoked_at, outcome.peer.revoked_at);
    assert.equal(f.audit('peer_revoke_rejected').at(-1)!.payload.outcome, 'already_revoked');
  });
});

test('peers revoke: the whole token works as a prefix longer than the stored six characters', async () => {
  await withFixture(async (f) => {
    const peer = await f.addPeer('whole');
    const reply = await f.call({ kind: 'peers_revoke', token_prefix: peer.token });
    assert.equal((reply.outcome as { type: string }).type, 'revoked', JSON.stringify(reply));
    assert.equal((reply.outcome as { matched_on: string }).matched_on, 'whole_token');
    await f.authFails(peer.token);
    // Seven characters that are not a whole token are matched on the stored six, and the answer says so (SPEC 8).
    const other = await f.addPeer('other');
    const partial = await f.call({ kind: 'peers_revoke', token_prefix: other.token.slice(0, 7) });
    const outcome = partial.outcome as { type: string; matched_on: string; message: string };
    assert.equal(outcome.type, 'revoked', JSON.stringify(partial));
    assert.equal(outcome.matched_on, 'stored_prefix');
    assert.match(outcome.message, new RegExp(`matched on its first 6 characters, ${other.token.slice(0, 6)}: only those are stored`));
    await f.authFails(other.token);
    assert.equal(JSON.stringify(f.ctx.db.prepare('SELECT * FROM audit_events').all()).includes(peer.token), false);
  });
});

test('peers revoke: not_found and ambiguous (with truncated) leave every token live', async () => {
  await withFixture(async (f) => {
    const notFound = await f.call({ kind: 'peers_revoke', token_prefix: 'zzzzzz' });
    assert.deepEqual(notFound.outcome, {
      type: 'not_found',
      prefix: 'zzzzzz',
      matched_on: 'token_prefix',
      code: 'E_NOT_FOUND',
      message: 'no token starts with zzzzzz; see `covenant peers list`',
    });
    assert.equal(f.audit('peer_revoke_rejected').at(-1)!.payload.outcome, 'not_found');

    // Three tokens sharing a prefix, registered directly (minted tokens are random).
    const tokens = ['Qq', 'Qq', 'Qq'].map((p) => `${p}${mintToken().slice(2)}`);
    tokens.forEach((token, i) => f.ctx.peers.register(token, f.ctx.identityKeys.create(`amb${i}@peer`).agentId, 'peer'));

    const truncated = await f.call({ kind: 'peers_revoke', token_prefix: 'Qq', limit_matches: 2 });
    const outcome = truncated.outcome as { type: string; prefix: string; matches: PeerView[]; truncated: boolean };
    assert.equal(outcome.type, 'ambiguous');
    assert.equal(outcome.prefix, 'Qq');
    assert.equal(outcome.matches.length, 2);
    assert.equal(outcome.truncated, true);
    assert.ok(outcome.matches.every((m) => m.token_prefix.startsWith('Qq')));

    const full = await f.call({ kind: 'peers_revoke', token_prefix: 'Qq', limit_matches: 3 });
    const fullOutcome = full.outcome as { type: string; matches: PeerView[]; truncated: boolean };
    assert.equal(fullOutcome.type, 'ambiguous');
    assert.equal(fullOutcome.matches.length, 3);
    assert.equal(fullOutcome.truncated, false);
    assert.equal(f.audit('peer_revoke_rejected').at(-1)!.payload.outcome, 'ambiguous');

    for (const token of tokens) assert.ok(f.ctx.peers.resolve(token), 'still live');
    assert.equal(f.audit('peer_revoked').length, 0);
  });
});

test('peers revoke: self-revoke is forbidden without --force, and works with it', async () => {
  await withFixture(async (f) => {
    const token = f.operatorToken();
    const forbidden = await f.call({ kind: 'peers_revoke', token_prefix: token.slice(0, 6) });
    const outcome = forbidden.outcome as { type: string; prefix: string; message: string };
    assert.equal(outcome.type, 'self_revoke_forbidden');
    assert.match(outcome.message, /covenant peers rotate/);
    assert.equal(f.audit('peer_revoke_rejected').at(-1)!.payload.outcome, 'self_revoke_forbidden');
    assert.deepEqual(await f.call({ kind: 'ping' }), { kind: 'daemon_ping', status: 'ok' }, 'the token still works');

    const client = await f.session(token);
    const forced = await client.request({ kind: 'peers_revoke', token_prefix: token.slice(0, 6), force: true });
    const forcedOutcome = forced.outcome as { type: string; connections_closed: number };
    assert.equal(forcedOutcome.type, 'revoked');
    assert.equal(forcedOutcome.connections_closed, 1, 'its own connection');
    await assert.rejects(client.request({ kind: 'ping' }), (error: Error & { code?: string }) => error.code === 'E_DAEMON_UNREACHABLE');
    await f.authFails(token);
    assert.equal(f.audit('peer_revoked').at(-1)!.payload.forced, true);
  });
});

test('a connection whose token was revoked without the disconnector is refused on its next request', async () => {
  await withFixture(async (f) => {
    const peer = await f.addPeer('late');
    const raw = await f.openRaw(peer.token);
    // Revoke in the registry only: no disconnect is scheduled, so the connection stays open.
    assert.equal(f.ctx.peerQueries.revoke(hashToken(peer.token), Date.now()), true);
    raw.send({ kind: 'ping', id: 9 });
    await raw.waitClosed();
    const frames = raw.frames as Array<Record<string, unknown>>;
    assert.equal(frames.length, 2);
    assert.equal(frames[1]!.kind, 'error');
    assert.equal(frames[1]!.code, 'E_AUTH_FAILED');
    assert.equal(frames[1]!.id, 9);
    const row = f.audit('request_rejected').at(-1)!;
    assert.deepEqual(row.payload, { transport: 'ipc', request_kind: 'ping', code: 'E_AUTH_FAILED', token_prefix: peer.token.slice(0, 6) });
  });
});

// ---------------------------------------------------------------------------------------- purge

test('peers purge: needs peers.purge, and removes only revoked peers', async () => {
  await withFixture(async (f) => {
    const gone = await f.addPeer('gone');
    const stays = await f.addPeer('stays');
    await f.call({ kind: 'peers_revoke', token_prefix: gone.token.slice(0, 6) });
    await sleep(5);

    const refused = await f.call({ kind: 'peers_purge', older_than_ms: 0 });
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /covenant capabilities grant peers\.purge/);
    assert.equal(f.ctx.peerQueries.list({ limit: 100, status: 'all' }).matched, 3);

    assert.equal((await f.call({ kind: 'capabilities_grant', action: 'peers.purge' })).kind, 'capability_granted');
    const purged = await f.call({ kind: 'peers_purge', older_than_ms: 0 });
    assert.equal(purged.kind, 'peers_purged');
    assert.equal(purged.purged, 1);
    assert.equal(typeof purged.before_ms, 'number');
    const remaining = f.ctx.peerQueries.list({ limit: 100, status: 'all' }).peers.map((p) => p.agent_id.display);
    assert.deepEqual(remaining, ['stays@peer', 'user@local']);
    assert.ok(f.ctx.peers.resolve(stays.token));
    assert.deepEqual(f.audit('peers_purged').at(-1)!.payload, { before_ms: purged.before_ms, purged: 1 });

    // Nothing revoked is left: purging again removes nothing.
    assert.equal((await f.call({ kind: 'peers_purge', older_than_ms: 0 })).purged, 0);
    // A cutoff in the future, or both cutoffs, are bad requests.
    assert.equal((await f.call({ kind: 'peers_purge', before_ms: Date.now() + 60_000 })).code, 'E_BAD_REQUEST');
    assert.equal((await f.call({ kind: 'peers_purge', before_ms: 1, older_than_ms: 1 })).code, 'E_BAD_REQUEST');
  });
});

test('a purged revoked operator token does not come back to life at the next start', async () => {
  await withFixture(async (f) => {
    const ops = await f.addPeer('ops');
    assert.equal((await f.call({ kind: 'capabilities_grant', action: 'peers.purge', to: 'ops@peer' })).kind, 'capability_granted');
    const operatorToken = f.operatorToken();
    const forced = await f.call({ kind: 'peers_revoke', token_prefix: operatorToken.slice(0, 6), force: true });
    assert.equal((forced.outcome as { type: string }).type, 'revoked');
    await sleep(5);
    const purged = await f.call({ kind: 'peers_purge', older_than_ms: 0 }, ops.token);
    assert.equal(purged.kind, 'peers_purged', JSON.stringify(purged));
    await f.restart();
    await f.authFails(operatorToken);
  });
});

// ------------------------------------------------------------------------------------- recovery

test('recovery after a forced self-revoke: a fresh operator token, the only live one, audited', async () => {
  await withFixture(async (f) => {
    const old = f.operatorToken();
    await f.call({ kind: 'peers_revoke', token_prefix: old.slice(0, 6), force: true });
    // A second live operator token (e.g. an old file copy) must not survive the recovery either.
    const stray = mintToken();
    f.ctx.peers.register(stray, f.ctx.identity.agentId, 'operator');
    await f.stopDaemon();

    const paths = homePaths(f.home);
    const identity = loadOrCreateDaemonIdentity(paths);
    const db = openDatabase(paths.db);
    let prefix: string;
    try {
      prefix = recoverOperator(paths, db, new PeerRegistry(db, { now: () => Date.now() }), new AuditLog(db, identity.keys, { now: () => Date.now() }), identity.agentId);
    } finally {
      db.close();
    }
    f.daemon = await startDaemon({ home: f.home });
    const fresh = f.operatorToken();
    assert.notEqual(fresh, old);
    assert.equal(prefix, fresh.slice(0, 6));
    assert.deepEqual(await f.call({ kind: 'ping' }, fresh), { kind: 'daemon_ping', status: 'ok' });
    await f.authFails(old);
    await f.authFails(stray);
    const row = f.audit('operator_recovered').at(-1)!;
    assert.equal(row.payload.new_prefix, fresh.slice(0, 6));
    assert.deepEqual(row.payload.revoked_prefixes, [stray.slice(0, 6)]);
    assert.equal(f.ctx.peers.liveOperatorTokens().length, 1);
  });
});

// ---------------------------------------------------------------------------------- persistence

test('peers, revocations, a rotation and grants survive a daemon stop and start on the same home', async () => {
  await withFixture(async (f) => {
    const keep = await f.addPeer('keep');
    const drop = await f.addPeer('drop');
    await f.call({ kind: 'peers_revoke', token_prefix: drop.token.slice(0, 6) });
    await f.call({ kind: 'capabilities_grant', action: 'peers.list', to: 'keep@peer' });
    const oldOperator = f.operatorToken();
    const rotated = await f.call({ kind: 'peers_rotate' });
    const newOperator = String(rotated.token_b58);
    const before = await f.call({ kind: 'peers_list' }, newOperator);

    await f.restart();

    const after = await f.call({ kind: 'peers_list' });
    assert.deepEqual(after.peers, before.peers);
    assert.equal(after.operator_pubkey_b58, before.operator_pubkey_b58);
    assert.equal(f.operatorToken(), newOperator);
    await f.authFails(oldOperator);
    await f.authFails(drop.token);
    const asKeep = await f.call({ kind: 'peers_list', status: 'revoked' }, keep.token);
    assert.equal(asKeep.kind, 'peer_list', 'keep still holds peers.list');
    assert.deepEqual(
      (asKeep.peers as PeerView[]).map((p) => p.agent_id.display).sort(),
      ['drop@peer', 'user@local'],
    );
    // The name of a revoked peer may be reused; a live one still conflicts.
    assert.equal((await f.call({ kind: 'peers_add', name: 'keep' })).code, 'E_CONFLICT');
    assert.equal((await f.call({ kind: 'peers_add', name: 'drop' })).kind, 'peer_added');
  });
});
