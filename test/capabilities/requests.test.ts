/**
 * Capability requests over IPC with an in-process daemon (SPEC 5): grant (to self, to a peer by
 * display or pubkey prefix), refusals, delegation and widening, revoke cascade, recent, purge,
 * bootstrap and the operator's default set across restarts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { OPERATOR_DEFAULT_ACTIONS, verifyCapabilitySignature } from '../../src/capabilities/index.js';
import { generateSeed, keyPairFromSeed, type AgentId } from '../../src/identity/index.js';
import { mintToken } from '../../src/peers/index.js';
import { DaemonFixture, withDaemonFixture } from '../helpers/daemon-fixture.js';
import { sleep } from '../helpers/wait.js';

class Fixture extends DaemonFixture {
  /** Live default actions the operator holds. */
  liveOperatorActions(): string[] {
    return (
      this.ctx.db
        .prepare('SELECT action FROM capabilities WHERE subject_pubkey = ? AND revoked_at IS NULL ORDER BY action')
        .all(this.operator.pubkey) as Array<{ action: string }>
    ).map((r) => r.action);
  }
}

const withFixture = (fn: (f: Fixture) => Promise<void>) => withDaemonFixture(Fixture, fn);

interface CapView {
  id: string;
  subject: AgentId;
  action: string;
  granted_by: AgentId;
  parent_id: string | null;
  revoked_at: number | null;
  expires_at: number | null;
}

// ---------------------------------------------------------------------------------------- grant

test('grant to self: a root capability signed by the daemon key, audited', async () => {
  await withFixture(async (f) => {
    const reply = await f.grant({ action: 'audit.purge', scope: { max_before_ms: 5 } });
    assert.equal(reply.kind, 'capability_granted', JSON.stringify(reply));
    assert.equal(reply.subject_display, 'user@local');
    assert.equal(reply.subject_pubkey, f.operator.pubkey);
    assert.equal(reply.action, 'audit.purge');
    assert.deepEqual(reply.scope, { max_before_ms: 5 });
    assert.equal(reply.expires_at, null);
    assert.equal(reply.parent_id, null);
    assert.match(String(reply.id), /^[0-9a-f-]{36}$/);
    const stored = f.ctx.capabilities.store.get(String(reply.id))!;
    assert.equal(stored.signature_b58, reply.signature_b58);
    assert.equal(stored.granted_by.pubkey, f.operator.pubkey);
    assert.equal(verifyCapabilitySignature(stored), true);
    assert.equal(f.audit('capability_granted').at(-1)!.payload.id, reply.id);
  });
});

test('grant to a peer by display and by pubkey prefix; expiry by expires_in_ms', async () => {
  await withFixture(async (f) => {
    const alice = await f.addPeer('alice');
    const byName = await f.grant({ action: 'memory.write', to: 'alice@peer' });
    assert.equal(byName.kind, 'capability_granted', JSON.stringify(byName));
    assert.equal(byName.subject_display, 'alice@peer');
    assert.equal(byName.subject_pubkey, alice.agent.pubkey);

    const before = Date.now();
    const byPrefix = await f.grant({ action: 'audit.read', to: alice.agent.pubkey.slice(0, 10), expires_in_ms: 60_000 });
    assert.equal(byPrefix.kind, 'capability_granted', JSON.stringify(byPrefix));
    assert.equal(byPrefix.subject_pubkey, alice.agent.pubkey);
    assert.ok(Number(byPrefix.expires_at) >= before + 60_000 && Number(byPrefix.expires_at) <= Date.now() + 60_000);

    const at = Date.now() + 120_000;
    const byExpiry = await f.grant({ action: 'intent.submit', to: 'alice@peer', expires_at: at });
    assert.equal(byExpiry.expires_at, at);

    // The operator itself by display or pubkey prefix.
    assert.equal((await f.grant({ action: 'chain.flush', to: 'user@local' })).subject_pubkey, f.operator.pubkey);
    assert.equal((await f.grant({ action: 'chain.flush', to: f.operator.pubkey.slice(0, 12) })).subject_pubkey, f.operator.pubkey);
  });
});

test('grant refusals: unknown to, ambiguous prefix, expiry in the past, both expiries', async () => {
  await withFixture(async (f) => {
    const unknown = await f.grant({ action: 'memory.read', to: 'nobody@peer' });
    assert.equal(unknown.code, 'E_NOT_FOUND');
    assert.match(String(unknown.message), /covenant peers list/);
    // A revoked peer is not a subject.
    const gone = await f.addPeer('gone');
    await f.call({ kind: 'peers_revoke', token_prefix: gone.token.slice(0, 6) });
    assert.equal((await f.grant({ action: 'memory.read', to: 'gone@peer' })).code, 'E_NOT_FOUND');

    // A peer whose pubkey starts with the same character as the operator's: one character is ambiguous.
    let seed = generateSeed();
    while (keyPairFromSeed(seed).publicKeyB58[0] !== f.operator.pubkey[0]) seed = generateSeed();
    const twin = f.ctx.identityKeys.put('twin@peer', seed);
    f.ctx.peers.register(mintToken(), twin, 'peer');
    const ambiguous = await f.grant({ action: 'memory.read', to: f.operator.pubkey[0] });
    assert.equal(ambiguous.code, 'E_AMBIGUOUS', JSON.stringify(ambiguous));
    assert.match(String(ambiguous.message), /names 2 identities: .*twin@peer \(pubkey \w{8}…\).*; give the whole name or a longer pubkey prefix/);
    assert.equal(f.audit('request_rejected').at(-1)!.payload.code, 'E_AMBIGUOUS', 'the refusal is audited');

    // A unique start of a display names that peer; a shared one is ambiguous; a whole display wins over longer ones.
    const alice = await f.addPeer('alice');
    const alicia = await f.addPeer('alice2');
    const byStart = await f.grant({ action: 'memory.read', to: 'alice2' });
    assert.equal(byStart.subject_pubkey, alicia.agent.pubkey, JSON.stringify(byStart));
    const shared = await f.grant({ action: 'memory.read', to: 'ali' });
    assert.equal(shared.code, 'E_AMBIGUOUS', JSON.stringify(shared));
    assert.match(String(shared.message), /"ali" names 2 identities: /);
    assert.equal((await f.grant({ action: 'memory.read', to: 'alice@peer' })).subject_pubkey, alice.agent.pubkey);
    assert.equal((await f.grant({ action: 'memory.read', to: 'alice@' })).subject_pubkey, alice.agent.pubkey);

    const past = await f.grant({ action: 'memory.read', expires_at: Date.now() - 1000 });
    assert.equal(past.kind, 'error');
    assert.equal(past.code, 'E_BAD_REQUEST');
    assert.match(String(past.message), /in the past/);
    const both = await f.grant({ action: 'memory.read', expires_at: Date.now() + 60_000, expires_in_ms: 1000 });
    assert.equal(both.code, 'E_BAD_REQUEST');
    const badAction = await f.grant({ action: '*' });
    assert.equal(badAction.code, 'E_CAPABILITY_INVALID');
    const badScope = await f.grant({ action: 'memory.read', scope: { color: 'red' } });
    assert.equal(badScope.code, 'E_CAPABILITY_INVALID');
    assert.match(String(badScope.message), /color/);

    const granted = f.audit('capability_granted').filter((row) => row.payload.action === 'memory.read' && (row.payload.subject as AgentId).pubkey !== f.operator.pubkey);
    assert.deepEqual(granted.map((row) => (row.payload.subject as AgentId).display), ['alice2@peer', 'alice@peer', 'alice@peer'], 'no refused grant was stored');
  });
});

test('a peer without authority cannot grant, to itself or to others; the refusal is audited', async () => {
  await withFixture(async (f) => {
    const mallory = await f.addPeer('mallory');
    await f.addPeer('bob');
    for (const params of [{ action: 'peers.list' }, { action: 'peers.list', to: 'bob@peer' }]) {
      const reply = await f.grant(params, mallory.token);
      assert.equal(reply.kind, 'error');
      assert.equal(reply.code, 'E_GRANT_REJECTED');
      assert.match(String(reply.message), /only the operator can grant/);
      const row = f.audit('capability_grant_rejected').at(-1)!;
      assert.equal(row.issuer_pubkey, mallory.agent.pubkey);
      assert.equal(row.payload.action, 'peers.list');
    }
    assert.equal(f.audit('capability_grant_rejected').length, 2);
    assert.equal((await f.call({ kind: 'peers_list' }, mallory.token)).code, 'E_CAPABILITY_MISSING');
  });
});

// ----------------------------------------------------------------------------------- delegation

test('delegation: narrower is accepted, widening is refused, revoking the parent revokes the child', async () => {
  await withFixture(async (f) => {
    const alice = await f.addPeer('alice');
    const bob = await f.addPeer('bob');
    const parent = await f.grant({ action: 'memory.read', to: 'alice@peer', scope: { delegate: true, tier: ['working', 'episodic'] } });
    assert.equal(parent.kind, 'capability_granted', JSON.stringify(parent));

    const child = await f.grant({ action: 'memory.read', to: 'bob@peer', scope: { tier: ['working'] } }, alice.token);
    assert.equal(child.kind, 'capability_granted', JSON.stringify(child));
    assert.equal(child.parent_id, parent.id);
    assert.equal(child.subject_pubkey, bob.agent.pubkey);
    const stored = f.ctx.capabilities.store.get(String(child.id))!;
    assert.equal(stored.granted_by.pubkey, alice.agent.pubkey, 'signed by alice, not the daemon');
    assert.equal(verifyCapabilitySignature(stored), true);

    const bobCheck = () => f.ctx.capabilities.check({ caller: bob.agent, required: 'memory.read', facts: { tier: 'working' } }).passed;
    assert.equal(bobCheck(), true);
    assert.equal(f.ctx.capabilities.check({ caller: bob.agent, required: 'memory.read', facts: { tier: 'episodic' } }).passed, false);

    const refusalsBefore = f.audit('capability_grant_rejected').length;
    for (const scope of [{ tier: ['working', 'longterm'] }, {}, { tier: ['working'], delegate: true, color: 1 }]) {
      const widened = await f.grant({ action: 'memory.read', to: 'bob@peer', scope }, alice.token);
      assert.equal(widened.kind, 'error', JSON.stringify(scope));
      assert.ok(['E_GRANT_REJECTED', 'E_CAPABILITY_INVALID'].includes(String(widened.code)), String(widened.code));
    }
    const widenedTier = f.audit('capability_grant_rejected')[refusalsBefore]!;
    assert.match(String(widenedTier.payload.reason), /widens/);
    assert.equal(widenedTier.issuer_pubkey, alice.agent.pubkey);
    assert.equal(f.audit('capability_grant_rejected').length, refusalsBefore + 3);
    // bob's capability has no delegate: bob cannot pass it on.
    await f.addPeer('carol');
    assert.equal((await f.grant({ action: 'memory.read', to: 'carol@peer', scope: { tier: ['working'] } }, bob.token)).code, 'E_GRANT_REJECTED');
    // Nor can alice delegate an action she does not hold.
    assert.equal((await f.grant({ action: 'memory.write', to: 'bob@peer' }, alice.token)).code, 'E_GRANT_REJECTED');

    const revoked = await f.call({ kind: 'capabilities_revoke', id_or_signature: String(parent.id) });
    assert.equal(revoked.kind, 'capability_revoked');
    assert.equal(revoked.id, parent.id);
    assert.deepEqual(revoked.removed, [parent.id, child.id]);
    assert.equal(bobCheck(), false, 'bob fails the check once the parent is revoked');
    assert.notEqual(f.ctx.capabilities.store.get(String(child.id))!.revoked_at, null);
    assert.deepEqual(f.audit('capability_revoked').at(-1)!.payload, { id: parent.id, removed: [parent.id, child.id] });
  });
});

test('delegation end to end: a delegated peers.list works over IPC until the parent is revoked', async () => {
  await withFixture(async (f) => {
    const alice = await f.addPeer('alice');
    const bob = await f.addPeer('bob');
    const parent = await f.grant({ action: 'peers.list', to: 'alice@peer', scope: { delegate: true } });
    const child = await f.grant({ action: 'peers.list', to: bob.agent.pubkey.slice(0, 12) }, alice.token);
    assert.equal(child.kind, 'capability_granted', JSON.stringify(child));
    assert.equal((await f.call({ kind: 'peers_list' }, bob.token)).kind, 'peer_list');
    // Revoke by signature this time.
    const revoked = await f.call({ kind: 'capabilities_revoke', id_or_signature: String(parent.signature_b58) });
    assert.deepEqual(revoked.removed, [parent.id, child.id]);
    const refused = await f.call({ kind: 'peers_list' }, bob.token);
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    const check = f.audit('capability_check').at(-1)!;
    assert.equal(check.issuer_pubkey, bob.agent.pubkey);
    assert.equal(check.payload.passed, false);
  });
});

test('revoke refusals: unknown id E_NOT_FOUND, a stranger E_FORBIDDEN; already revoked removes nothing', async () => {
  await withFixture(async (f) => {
    const alice = await f.addPeer('alice');
    const eve = await f.addPeer('eve');
    const cap = await f.grant({ action: 'memory.write', to: 'alice@peer' });
    const unknown = await f.call({ kind: 'capabilities_revoke', id_or_signature: 'no-such-capability' });
    assert.equal(unknown.code, 'E_NOT_FOUND');
    const forbidden = await f.call({ kind: 'capabilities_revoke', id_or_signature: String(cap.id) }, eve.token);
    assert.equal(forbidden.code, 'E_FORBIDDEN');
    assert.equal(f.audit('capability_revoke_rejected').length, 2);
    // The subject may revoke its own.
    const own = await f.call({ kind: 'capabilities_revoke', id_or_signature: String(cap.id) }, alice.token);
    assert.deepEqual(own.removed, [cap.id]);
    const again = await f.call({ kind: 'capabilities_revoke', id_or_signature: String(cap.id) });
    assert.deepEqual(again.removed, []);
  });
});

// --------------------------------------------------------------------------------------- recent

test("recent lists the caller's capabilities (subject or grantor), newest first, limited", async () => {
  await withFixture(async (f) => {
    const alice = await f.addPeer('alice');
    const bob = await f.addPeer('bob');
    const parent = await f.grant({ action: 'memory.read', to: 'alice@peer', scope: { delegate: true } });
    const forBob = await f.grant({ action: 'memory.read', to: 'bob@peer' }, alice.token);
    const operatorOwn = await f.grant({ action: 'audit.purge' });

    const asAlice = await f.call({ kind: 'capabilities_recent' }, alice.token);
    assert.equal(asAlice.kind, 'capability_list');
    assert.equal(asAlice.limit, 20);
    assert.deepEqual((asAlice.capabilities as CapView[]).map((c) => c.id), [forBob.id, parent.id], 'held and granted, newest first');

    const asBob = await f.call({ kind: 'capabilities_recent' }, bob.token);
    assert.deepEqual((asBob.capabilities as CapView[]).map((c) => c.id), [forBob.id]);
    const bobView = (asBob.capabilities as CapView[])[0]!;
    assert.equal(bobView.granted_by.display, 'alice@peer');
    assert.equal(bobView.parent_id, parent.id);
    assert.equal(bobView.revoked_at, null);

    const asOperator = await f.call({ kind: 'capabilities_recent', limit: 2 });
    const ids = (asOperator.capabilities as CapView[]).map((c) => c.id);
    assert.equal(asOperator.limit, 2);
    assert.deepEqual(ids, [operatorOwn.id, parent.id], 'the operator granted the parent; it did not grant bob’s');
    const all = await f.call({ kind: 'capabilities_recent', limit: 100 });
    assert.equal((all.capabilities as CapView[]).some((c) => c.id === forBob.id), false);
    assert.equal((all.capabilities as CapView[]).length, OPERATOR_DEFAULT_ACTIONS.length + 2);

    // A revoked capability is still listed, marked revoked.
    await f.call({ kind: 'capabilities_revoke', id_or_signature: String(forBob.id) }, bob.token);
    const afterRevoke = await f.call({ kind: 'capabilities_recent' }, bob.token);
    assert.equal(typeof (afterRevoke.capabilities as CapView[])[0]!.revoked_at, 'number');
  });
});

// ---------------------------------------------------------------------------------------- purge

test('purge needs capabilities.purge and removes only revoked or expired records', async () => {
  await withFixture(async (f) => {
    await f.addPeer('alice');
    const dead = await f.grant({ action: 'memory.write', to: 'alice@peer' });
    const live = await f.grant({ action: 'audit.read', to: 'alice@peer' });
    await f.call({ kind: 'capabilities_revoke', id_or_signature: String(dead.id) });
    await sleep(5);

    const refused = await f.call({ kind: 'capabilities_purge', older_than_ms: 0 });
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /covenant capabilities grant capabilities\.purge/);
    assert.equal(f.audit('capability_check').at(-1)!.payload.required, 'capabilities.purge');
    assert.ok(f.ctx.capabilities.store.get(String(dead.id)));

    await f.grant({ action: 'capabilities.purge' });
    const purged = await f.call({ kind: 'capabilities_purge', older_than_ms: 0 });
    assert.equal(purged.kind, 'capabilities_purged', JSON.stringify(purged));
    assert.equal(purged.purged, 1);
    assert.equal(f.ctx.capabilities.store.get(String(dead.id)), null);
    assert.ok(f.ctx.capabilities.store.get(String(live.id)));
    assert.deepEqual(f.audit('capabilities_purged').at(-1)!.payload, { before_ms: purged.before_ms, purged: 1 });

    // A scope limit on the cutoff is enforced against the resolved cutoff.
    const limited = await f.addPeer('limited');
    await f.grant({ action: 'capabilities.purge', to: 'limited@peer', scope: { max_before_ms: 1000 } });
    assert.equal((await f.call({ kind: 'capabilities_purge', before_ms: 1000 }, limited.token)).kind, 'capabilities_purged');
    assert.equal((await f.call({ kind: 'capabilities_purge', older_than_ms: 0 }, limited.token)).code, 'E_CAPABILITY_MISSING');
  });
});

// ------------------------------------------------------------------------------------ bootstrap

test("the operator's default set is granted on first start: 9 actions, audited", async () => {
  await withFixture(async (f) => {
    assert.deepEqual(f.liveOperatorActions(), [...OPERATOR_DEFAULT_ACTIONS].sort());
    assert.equal(OPERATOR_DEFAULT_ACTIONS.length, 9);
    const granted = f.audit('capability_granted').map((row) => row.payload.action).sort();
    assert.deepEqual(granted, [...OPERATOR_DEFAULT_ACTIONS].sort());
    for (const destructive of ['capabilities.purge', 'peers.purge', 'audit.purge', 'chain.flush', 'budget.topup']) {
      assert.equal(f.liveOperatorActions().includes(destructive), false, destructive);
    }
  });
});

test('bootstrap is idempotent and operator-only; a revoked default is not re-granted by a restart', async () => {
  await withFixture(async (f) => {
    const first = await f.call({ kind: 'bootstrap' });
    assert.equal(first.kind, 'bootstrap');
    assert.deepEqual(first.granted, []);
    assert.deepEqual([...(first.already_held as string[])].sort(), [...OPERATOR_DEFAULT_ACTIONS].sort());

    const peer = await f.addPeer('peer');
    assert.equal((await f.call({ kind: 'bootstrap' }, peer.token)).code, 'E_FORBIDDEN');

    const chainBatches = (await f.call({ kind: 'capabilities_recent', limit: 100 })).capabilities as CapView[];
    const target = chainBatches.find((c) => c.action === 'chain.batches' && c.subject.pubkey === f.operator.pubkey)!;
    assert.ok(target);
    await f.call({ kind: 'capabilities_revoke', id_or_signature: target.id });
    assert.equal(f.liveOperatorActions().includes('chain.batches'), false);

    await f.restart();
    assert.equal(f.liveOperatorActions().includes('chain.batches'), false, 'a restart does not re-grant a revoked default');
    assert.equal(f.liveOperatorActions().length, 8);
    assert.equal(f.audit('capability_granted').filter((row) => row.payload.action === 'chain.batches').length, 1);

    const second = await f.call({ kind: 'bootstrap' });
    assert.deepEqual(second.granted, ['chain.batches']);
    assert.equal((second.already_held as string[]).length, 8);
    assert.deepEqual(f.liveOperatorActions(), [...OPERATOR_DEFAULT_ACTIONS].sort());
    const third = await f.call({ kind: 'bootstrap' });
    assert.deepEqual(third.granted, []);
    assert.equal(f.liveOperatorActions().length, 9);
  });
});
