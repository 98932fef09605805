import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CovenantError } from '../../src/core/index.js';
import { signingBytes, verifyCapabilitySignature } from '../../src/capabilities/index.js';
import { verifySignature } from '../../src/identity/index.js';
import { fromBase58 } from '../../src/core/index.js';
import { capCount, harness, type Harness } from './helpers.js';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof CovenantError, `expected a CovenantError, got ${String(error)}`);
    return error.code;
  }
  assert.fail('expected the call to throw');
}

describe('capability grants', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.close());

  it('grants to self: a root signed by the daemon key, stored and audited', () => {
    const cap = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.purge', scope: {}, expiresAt: null });
    assert.equal(cap.subject.pubkey, h.operator.pubkey);
    assert.equal(cap.granted_by.pubkey, h.daemonKeys.publicKeyB58);
    assert.equal(cap.parent_id, null);
    assert.equal(cap.issued_at, h.clock.now());
    assert.ok(verifyCapabilitySignature(cap));
    assert.ok(verifySignature(h.daemonKeys.publicKeyB58, signingBytes(cap), fromBase58(cap.signature_b58)!));

    const stored = h.svc.store.get(cap.id);
    assert.deepEqual(stored, { ...cap, revoked_at: null });
    assert.equal(h.svc.store.getBySignature(cap.signature_b58)?.id, cap.id);

    const rows = h.auditRows('capability_granted');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.payload, {
      id: cap.id,
      action: 'memory.purge',
      subject: h.operator,
      scope: {},
      expires_at: null,
      parent_id: null,
    });
    assert.equal(rows[0]!.issuer_pubkey, h.operator.pubkey);
  });

  it('grants to another peer with scope and expiry', () => {
    const bob = h.peer('bob@host');
    const expiresAt = h.clock.now() + 60_000;
    const cap = h.svc.grant({
      caller: h.operator,
      callerIsOperator: true,
      action: 'memory.read',
      subject: bob,
      scope: { tier: ['working'] },
      expiresAt,
    });
    assert.deepEqual(cap.subject, bob);
    assert.deepEqual(cap.scope, { tier: ['working'] });
    assert.equal(cap.expires_at, expiresAt);
    assert.equal(h.svc.recent({ caller: bob }).map((c) => c.id).join(), cap.id);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: 'working' } }).passed, true);
    // the operator granted it but does not hold it
    assert.equal(h.svc.check({ caller: h.operator, required: 'memory.read', facts: { tier: 'working' } }).passed, false);
  });

  it('refuses an unknown scope key, naming it, and audits the refusal', () => {
    assert.throws(
      () => h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', scope: { teir: 'working' } }),
      (error: unknown) => error instanceof CovenantError && error.code === 'E_CAPABILITY_INVALID' && /"teir"/.test(error.message),
    );
    assert.equal(
      codeOf(() => h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', scope: { tier: 5 } })),
      'E_CAPABILITY_INVALID',
    );
    assert.equal(
      codeOf(() => h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', scope: ['tier'] })),
      'E_CAPABILITY_INVALID',
    );
    assert.equal(capCount(h.db), 0);
    const rows = h.auditRows('capability_grant_rejected');
    assert.equal(rows.length, 3);
    assert.match(String(rows[0]!.payload.reason), /unknown scope key "teir"/);
    assert.equal(rows[0]!.payload.action, 'memory.read');
  });

  it('refuses bad action syntax with the allowed form', () => {
    for (const action of ['*', 'Memory read', 'memory..read', 'memory.*.apply', '.memory', 'memory.read.', 'mem/ory', '', 'memory.re*']) {
      assert.throws(
        () => h.svc.grant({ caller: h.operator, callerIsOperator: true, action }),
        (error: unknown) =>
          error instanceof CovenantError && error.code === 'E_CAPABILITY_INVALID' && /action/.test(error.message),
        `action ${JSON.stringify(action)} should be refused`,
      );
    }
    assert.throws(
      () => h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory read' }),
      /dotted segments of letters, digits/,
    );
    assert.equal(capCount(h.db), 0);
    assert.equal(h.auditRows('capability_grant_rejected').length, 10);
    // well-formed names with peer displays are accepted
    const ok = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'a2a.send.bob@my-host' });
    assert.equal(ok.action, 'a2a.send.bob@my-host');
  });

  it('refuses an expiry in the past', () => {
    assert.equal(
      codeOf(() => h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', expiresAt: h.clock.now() })),
      'E_CAPABILITY_INVALID',
    );
    assert.equal(capCount(h.db), 0);
  });

  it('refuses a peer minting its own authority, and the refusal row is committed', () => {
    const bob = h.peer('bob@host');
    assert.throws(
      () => h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.purge' }),
      (error: unknown) =>
        error instanceof CovenantError && error.code === 'E_GRANT_REJECTED' && /holds no live capability for memory\.purge/.test(error.message),
    );
    assert.equal(capCount(h.db), 0);
    // read through a second connection: the row is committed, not just visible in this one
    const other = new Database(h.dbPath, { readonly: true });
    try {
      const rows = other.prepare("SELECT issuer_pubkey, payload FROM audit_events WHERE kind = 'capability_grant_rejected'").all() as {
        issuer_pubkey: string;
        payload: string;
      }[];
      assert.equal(rows.length, 1);
      assert.equal(rows[0]!.issuer_pubkey, bob.pubkey);
      const payload = JSON.parse(rows[0]!.payload) as Record<string, unknown>;
      assert.equal(payload.action, 'memory.purge');
      assert.deepEqual(payload.subject, bob);
      assert.match(String(payload.reason), /cannot mint|mint its own authority/);
    } finally {
      other.close();
    }
  });
});
