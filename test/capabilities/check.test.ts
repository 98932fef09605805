import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CovenantError } from '../../src/core/index.js';
import { signCapability } from '../../src/capabilities/index.js';
import { harness, type Harness } from './helpers.js';

describe('capability checks', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.close());

  it('passes for a held capability and writes capability_check', () => {
    const bob = h.peer('bob@host');
    const cap = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'intent.submit', subject: bob });
    const result = h.svc.check({ caller: bob, required: 'intent.submit' });
    assert.deepEqual(result, { passed: true, capability_id: cap.id });
    const rows = h.auditRows('capability_check');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.issuer_pubkey, bob.pubkey);
    assert.equal(rows[0]!.payload.required, 'intent.submit');
    assert.equal(rows[0]!.payload.missing, null);
    assert.equal(rows[0]!.payload.passed, true);
    assert.equal(rows[0]!.payload.capability_id, cap.id);
  });

  it('fails for a missing capability, audits it, and require names the grant command', () => {
    const bob = h.peer('bob@host');
    const result = h.svc.check({ caller: bob, required: 'memory.purge' });
    assert.equal(result.passed, false);
    assert.equal(result.missing, 'memory.purge');
    const rows = h.auditRows('capability_check');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.payload.passed, false);
    assert.equal(rows[0]!.payload.missing, 'memory.purge');

    assert.throws(
      () => h.svc.require({ caller: bob, required: 'memory.purge' }),
      (error: unknown) =>
        error instanceof CovenantError &&
        error.code === 'E_CAPABILITY_MISSING' &&
        error.message ===
          'missing capability memory.purge; grant it with: covenant capabilities grant memory.purge --to bob@host',
    );
    assert.throws(
      () => h.svc.require({ caller: h.operator, required: 'audit.purge' }),
      (error: unknown) =>
        error instanceof CovenantError &&
        error.message === 'missing capability audit.purge; grant it with: covenant capabilities grant audit.purge',
    );
    assert.equal(h.auditRows('capability_check').length, 3);
  });

  it('fails once the capability has expired', () => {
    const bob = h.peer('bob@host');
    h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.write', subject: bob, expiresAt: h.clock.now() + 1000 });
    h.clock.advance(999);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
    h.clock.advance(1);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, false);
  });

  it('fails when the stored signature is forged', () => {
    const bob = h.peer('bob@host');
    const mine = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.write', subject: bob });
    const other = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', subject: bob });
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
    // a real daemon signature, but over a different capability
    h.db.prepare('UPDATE capabilities SET signature_b58 = ? WHERE id = ?').run('3yZe7d', other.id);
    h.db.prepare('UPDATE capabilities SET signature_b58 = ? WHERE id = ?').run(other.signature_b58, mine.id);
    const result = h.svc.check({ caller: bob, required: 'memory.write' });
    assert.equal(result.passed, false);
    assert.match(result.reason ?? '', /signature/);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read' }).passed, false);
  });

  it('fails when the action or scope was edited in the database', () => {
    const bob = h.peer('bob@host');
    const cap = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', subject: bob, scope: { tier: 'working' } });
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: 'working' } }).passed, true);
    h.db.prepare("UPDATE capabilities SET scope = '{}' WHERE id = ?").run(cap.id);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: 'archive' } }).passed, false);
    h.db.prepare(`UPDATE capabilities SET scope = '{"tier":"working"}', action = 'memory.purge' WHERE id = ?`).run(cap.id);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.purge', facts: { tier: 'working' } }).passed, false);
    // restoring the signed content makes it verify again (the failure came from the edit)
    h.db.prepare("UPDATE capabilities SET action = 'memory.read' WHERE id = ?").run(cap.id);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: 'working' } }).passed, true);
  });

  it('fails for a root capability not granted by the daemon', () => {
    const bob = h.peer('bob@host');
    const cap = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', subject: bob });
    const mallory = h.peer('mallory@host');
    // re-sign the same content as mallory: the signature verifies, the trust root does not
    const forged = signCapability({ ...cap, granted_by: mallory }, h.keys.keyFor(mallory.pubkey)!);
    h.db
      .prepare('UPDATE capabilities SET granted_by_display = ?, granted_by_pubkey = ?, signature_b58 = ? WHERE id = ?')
      .run(mallory.display, mallory.pubkey, forged.signature_b58, cap.id);
    const result = h.svc.check({ caller: bob, required: 'memory.read' });
    assert.equal(result.passed, false);
    assert.match(result.reason ?? '', /not granted by the daemon/);
  });

  it('a wildcard covers actions under its prefix only', () => {
    const bob = h.peer('bob@host');
    h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.repair.*', subject: bob });
    assert.equal(h.svc.check({ caller: bob, required: 'memory.repair.apply' }).passed, true);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.repair.plan.dry' }).passed, true);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.repair' }).passed, false);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.repairs' }).passed, false);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.compact.run' }).passed, false);
    assert.throws(() => h.svc.check({ caller: bob, required: 'memory.repair.*' }), /wildcard/);
  });

  it('scope tier admits only the listed tiers and needs the request to name one', () => {
    const bob = h.peer('bob@host');
    h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', subject: bob, scope: { tier: ['working', 'episodic'] } });
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: 'working' } }).passed, true);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: ['working', 'episodic'] } }).passed, true);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: 'archive' } }).passed, false);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.read', facts: { tier: ['working', 'archive'] } }).passed, false);
    const none = h.svc.check({ caller: bob, required: 'memory.read' });
    assert.equal(none.passed, false);
    assert.match(none.reason ?? '', /names no tier/);
  });

  it('scope arguments pins listed keys to exact values', () => {
    const bob = h.peer('bob@host');
    h.svc.grant({
      caller: h.operator,
      callerIsOperator: true,
      action: 'tool.call.fetch',
      subject: bob,
      scope: { arguments: { url: 'https://example.org/', opts: { a: 1, b: [2] } } },
    });
    const ok = { url: 'https://example.org/', opts: { b: [2], a: 1 }, timeout: 5 };
    assert.equal(h.svc.check({ caller: bob, required: 'tool.call.fetch', facts: { arguments: ok } }).passed, true);
    assert.equal(
      h.svc.check({ caller: bob, required: 'tool.call.fetch', facts: { arguments: { ...ok, url: 'https://evil.example/' } } }).passed,
      false,
    );
    assert.equal(
      h.svc.check({ caller: bob, required: 'tool.call.fetch', facts: { arguments: { ...ok, opts: { a: 1, b: [3] } } } }).passed,
      false,
    );
    assert.equal(h.svc.check({ caller: bob, required: 'tool.call.fetch', facts: { arguments: { url: ok.url } } }).passed, false);
    assert.equal(h.svc.check({ caller: bob, required: 'tool.call.fetch' }).passed, false);
  });

  it('scope max_before_ms and agents admit only within the limit', () => {
    const bob = h.peer('bob@host');
    h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.purge', subject: bob, scope: { max_before_ms: 1000 } });
    h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'intent.submit', subject: bob, scope: { agents: ['hello@agent'] } });
    assert.equal(h.svc.check({ caller: bob, required: 'memory.purge', facts: { before_ms: 1000 } }).passed, true);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.purge', facts: { before_ms: 1001 } }).passed, false);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.purge' }).passed, false);
    assert.equal(h.svc.check({ caller: bob, required: 'intent.submit', facts: { agent: 'hello@agent' } }).passed, true);
    assert.equal(h.svc.check({ caller: bob, required: 'intent.submit', facts: { agent: 'research@agent' } }).passed, false);
  });
});

