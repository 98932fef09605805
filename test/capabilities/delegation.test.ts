import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CovenantError, newId } from '../../src/core/index.js';
import { signCapability, verifyCapabilitySignature, type Capability } from '../../src/capabilities/index.js';
import type { AgentId } from '../../src/identity/index.js';
import { capCount, harness, strangerId, type Harness } from './helpers.js';

function rejectedWith(pattern: RegExp) {
  return (error: unknown) => error instanceof CovenantError && error.code === 'E_GRANT_REJECTED' && pattern.test(error.message);
}

describe('capability delegation', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.close());

  function rootFor(subject: ReturnType<Harness['peer']>, scope: Record<string, unknown>, expiresAt: number | null = null): Capability {
    return h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', subject, scope, expiresAt });
  }

  it('a delegable capability lets its holder grant an equal or narrower one, signed with its own key', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const parent = rootFor(bob, { delegate: true, tier: ['working', 'episodic'] }, h.clock.now() + 10_000);
    const child = h.svc.grant({
      caller: bob,
      callerIsOperator: false,
      action: 'memory.read',
      subject: carol,
      scope: { tier: 'working' },
      expiresAt: h.clock.now() + 5_000,
    });
    assert.equal(child.parent_id, parent.id);
    assert.deepEqual(child.granted_by, bob);
    assert.ok(verifyCapabilitySignature(child));
    assert.equal(h.svc.check({ caller: carol, required: 'memory.read', facts: { tier: 'working' } }).passed, true);
    assert.equal(h.svc.check({ caller: carol, required: 'memory.read', facts: { tier: 'episodic' } }).passed, false);
    const granted = h.auditRows('capability_granted');
    assert.equal(granted.length, 2);
    assert.equal(granted[1]!.issuer_pubkey, bob.pubkey);
    assert.equal(granted[1]!.payload.parent_id, parent.id);
  });

  it('a wildcard parent can delegate a concrete action under it', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const parent = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.repair.*', subject: bob, scope: { delegate: true } });
    const child = h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.repair.apply', subject: carol });
    assert.equal(child.parent_id, parent.id);
    assert.equal(h.svc.check({ caller: carol, required: 'memory.repair.apply' }).passed, true);
    assert.equal(h.svc.check({ caller: carol, required: 'memory.repair.plan' }).passed, false);
    assert.throws(
      () => h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.*', subject: carol }),
      rejectedWith(/holds no live capability for memory\.\*/),
    );
  });

  it('refuses widened delegation and audits each refusal', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const until = h.clock.now() + 10_000;
    rootFor(bob, { delegate: true, tier: ['working'], arguments: { k: 1 } }, until);
    const base = { caller: bob, callerIsOperator: false, action: 'memory.read', subject: carol };
    const before = capCount(h.db);

    assert.throws(() => h.svc.grant({ ...base, scope: { arguments: { k: 1 } }, expiresAt: until }), rejectedWith(/drops the parent's tier/));
    assert.throws(
      () => h.svc.grant({ ...base, scope: { tier: ['working', 'archive'], arguments: { k: 1 } }, expiresAt: until }),
      rejectedWith(/adds tier archive/),
    );
    assert.throws(
      () => h.svc.grant({ ...base, scope: { tier: 'working', arguments: { k: 2 } }, expiresAt: until }),
      rejectedWith(/pin on argument "k"/),
    );
    assert.throws(
      () => h.svc.grant({ ...base, scope: { tier: 'working', arguments: { k: 1 } }, expiresAt: until + 1 }),
      rejectedWith(/must expire at or before/),
    );
    assert.throws(
      () => h.svc.grant({ ...base, scope: { tier: 'working', arguments: { k: 1 } }, expiresAt: null }),
      rejectedWith(/must expire at or before/),
    );
    assert.equal(capCount(h.db), before);
    const rows = h.auditRows('capability_grant_rejected');
    assert.equal(rows.length, 5);
    for (const row of rows) {
      assert.equal(row.issuer_pubkey, bob.pubkey);
      assert.equal(row.payload.action, 'memory.read');
      assert.deepEqual(row.payload.subject, carol);
    }
    // the same grant within bounds goes through
    const ok = h.svc.grant({ ...base, scope: { tier: 'working', arguments: { k: 1, extra: true } }, expiresAt: until });
    assert.equal(ok.expires_at, until);
  });

  it('refuses delegation from a capability without delegate: true, and re-delegation without it', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const dave = h.peer('dave@host');
    rootFor(bob, {});
    assert.throws(
      () => h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.read', subject: carol }),
      rejectedWith(/not delegable/),
    );
    // bob cannot re-grant to himself either
    assert.throws(() => h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.read' }), rejectedWith(/not delegable/));

    const delegable = h.peer('erin@host');
    rootFor(delegable, { delegate: true });
    // a child without delegate cannot pass it on; a child cannot claim delegate beyond its parent
    h.svc.grant({ caller: delegable, callerIsOperator: false, action: 'memory.read', subject: carol, scope: {} });
    assert.throws(
      () => h.svc.grant({ caller: carol, callerIsOperator: false, action: 'memory.read', subject: dave }),
      rejectedWith(/not delegable/),
    );
    assert.equal(h.auditRows('capability_grant_rejected').length, 3);
  });

  it('refuses a delegated grant when the daemon holds no key for the grantor', () => {
    const stranger = strangerId('zed@host');
    const carol = h.peer('carol@host');
    rootFor(stranger, { delegate: true });
    assert.throws(
      () => h.svc.grant({ caller: stranger, callerIsOperator: false, action: 'memory.read', subject: carol }),
      rejectedWith(/no signing key/),
    );
  });

  it('a revoked parent makes the child fail, and cascade revoke lists the child', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const dave = h.peer('dave@host');
    const parent = rootFor(bob, { delegate: true });
    const child = h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.read', subject: carol, scope: { delegate: true } });
    const grandchild = h.svc.grant({ caller: carol, callerIsOperator: false, action: 'memory.read', subject: dave });
    assert.equal(h.svc.check({ caller: dave, required: 'memory.read' }).passed, true);

    // revoke only the root row, bypassing the cascade: the chain check alone must catch it
    h.db.prepare('UPDATE capabilities SET revoked_at = ? WHERE id = ?').run(h.clock.now(), parent.id);
    const broken = h.svc.check({ caller: dave, required: 'memory.read' });
    assert.equal(broken.passed, false);
    assert.match(broken.reason ?? '', new RegExp(`${parent.id} was revoked`));
    assert.equal(h.svc.check({ caller: carol, required: 'memory.read' }).passed, false);
    h.db.prepare('UPDATE capabilities SET revoked_at = NULL WHERE id = ?').run(parent.id);
    assert.equal(h.svc.check({ caller: dave, required: 'memory.read' }).passed, true);

    // revoke through the service by signature: the whole subtree goes
    const result = h.svc.revoke({ caller: h.operator, idOrSignature: parent.signature_b58 });
    assert.equal(result.id, parent.id);
    assert.deepEqual(result.removed, [parent.id, child.id, grandchild.id]);
    for (const id of [parent.id, child.id, grandchild.id]) assert.notEqual(h.svc.store.get(id)?.revoked_at, null);
    assert.equal(h.svc.check({ caller: carol, required: 'memory.read' }).passed, false);
    assert.equal(h.svc.check({ caller: dave, required: 'memory.read' }).passed, false);
    const rows = h.auditRows('capability_revoked');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.payload, { id: parent.id, removed: [parent.id, child.id, grandchild.id] });
    // revoking again removes nothing more
    assert.deepEqual(h.svc.revoke({ caller: h.operator, idOrSignature: parent.id }).removed, []);
  });

  it('revoke is allowed for the subject and grantors up the chain only', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const mallory = h.peer('mallory@host');
    rootFor(bob, { delegate: true });
    const child = h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.read', subject: carol });
    assert.throws(
      () => h.svc.revoke({ caller: mallory, idOrSignature: child.id }),
      (error: unknown) => error instanceof CovenantError && error.code === 'E_FORBIDDEN',
    );
    assert.throws(
      () => h.svc.revoke({ caller: mallory, idOrSignature: 'no-such-id' }),
      (error: unknown) => error instanceof CovenantError && error.code === 'E_NOT_FOUND',
    );
    assert.equal(h.auditRows('capability_revoke_rejected').length, 2);
    assert.equal(h.svc.store.get(child.id)?.revoked_at, null);
    assert.deepEqual(h.svc.revoke({ caller: bob, idOrSignature: child.id }).removed, [child.id]);
  });

  it('a delegation chain is at most 8 links long', () => {
    const peers = Array.from({ length: 10 }, (_, i) => h.peer(`p${i}@host`));
    rootFor(peers[0]!, { delegate: true });
    for (let i = 1; i < 8; i += 1) {
      h.svc.grant({ caller: peers[i - 1]!, callerIsOperator: false, action: 'memory.read', subject: peers[i]!, scope: { delegate: true } });
    }
    assert.equal(h.svc.check({ caller: peers[7]!, required: 'memory.read' }).passed, true);
    assert.throws(
      () => h.svc.grant({ caller: peers[7]!, callerIsOperator: false, action: 'memory.read', subject: peers[8]!, scope: {} }),
      rejectedWith(/8 links/),
    );
  });

  it('a validly signed cycle of delegations fails as a cycle', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const idA = newId();
    const idB = newId();
    const now = h.clock.now();
    // A: carol -> bob, parent B; B: bob -> carol, parent A. Every signature verifies; no root.
    const a = signCapability(
      { id: idA, subject: bob, action: 'memory.read', scope: { delegate: true }, granted_by: carol, expires_at: null, parent_id: idB, issued_at: now },
      h.keys.keyFor(carol.pubkey)!,
    );
    const b = signCapability(
      { id: idB, subject: carol, action: 'memory.read', scope: { delegate: true }, granted_by: bob, expires_at: null, parent_id: idA, issued_at: now },
      h.keys.keyFor(bob.pubkey)!,
    );
    h.svc.store.insert(a);
    h.svc.store.insert(b);
    assert.ok(verifyCapabilitySignature(a) && verifyCapabilitySignature(b));
    const result = h.svc.check({ caller: bob, required: 'memory.read' });
    assert.equal(result.passed, false);
    assert.match(result.reason ?? '', /cycle/);
    // and it cannot be used to delegate further
    assert.throws(
      () => h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.read', subject: h.peer('dave@host') }),
      rejectedWith(/does not verify/),
    );
  });

  it('chain verification refuses validly signed links that exceed their parent', () => {
    const bob = h.peer('bob@host');
    const mallory = h.peer('mallory@host');
    const now = h.clock.now();
    const forge = (parent: Capability, grantor: AgentId, fields: Partial<Capability>) => {
      const subject = h.peer(`victim-${newId().slice(0, 8)}@host`);
      const cap = signCapability(
        {
          id: newId(),
          subject,
          action: parent.action,
          scope: {},
          granted_by: grantor,
          expires_at: parent.expires_at,
          parent_id: parent.id,
          issued_at: now,
          ...fields,
        },
        h.keys.keyFor(grantor.pubkey)!,
      );
      h.svc.store.insert(cap);
      return { subject, cap };
    };
    const delegable = rootFor(bob, { delegate: true, tier: 'working' }, now + 10_000);
    const plain = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.write', subject: bob });

    const control = forge(delegable, bob, { scope: { tier: 'working' } });
    assert.equal(h.svc.check({ caller: control.subject, required: 'memory.read', facts: { tier: 'working' } }).passed, true);

    const cases: [string, ReturnType<typeof forge>, RegExp][] = [
      ['action not covered', forge(delegable, bob, { action: 'memory.purge', scope: { tier: 'working' } }), /does not cover/],
      ['scope widened', forge(delegable, bob, { scope: {} }), /widens its parent/],
      ['grantor does not hold the parent', forge(delegable, mallory, { scope: { tier: 'working' } }), /does not hold its parent/],
      ['parent not delegable', forge(plain, bob, {}), /is not delegable/],
      ['outlives the parent', forge(delegable, bob, { scope: { tier: 'working' }, expires_at: null }), /outlives its parent/],
    ];
    for (const [name, { subject, cap }, expected] of cases) {
      const result = h.svc.check({ caller: subject, required: cap.action, facts: { tier: 'working' } });
      assert.equal(result.passed, false, name);
      assert.match(result.reason ?? '', expected, name);
    }
  });
});
