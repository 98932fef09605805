import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  actionMatches,
  grantCommandFor,
  isNarrowerOrEqual,
  OPERATOR_DEFAULT_ACTIONS,
  parseScope,
  scopeAdmits,
} from '../../src/capabilities/index.js';
import { CovenantError } from '../../src/core/index.js';
import { capCount, harness, type Harness } from './helpers.js';

describe('capability purge, listing and bootstrap', () => {
  let h: Harness;
  beforeEach(() => {
    h = harness();
  });
  afterEach(() => h.close());

  it('purge removes only revoked or expired records before the cutoff', () => {
    const bob = h.peer('bob@host');
    const grant = (action: string, expiresAt: number | null = null, scope: Record<string, unknown> = {}) =>
      h.svc.grant({ caller: h.operator, callerIsOperator: true, action, subject: bob, expiresAt, scope });
    const live = grant('memory.read');
    const liveExpiring = grant('memory.write', h.clock.now() + 100_000);
    const expired = grant('audit.read', h.clock.now() + 10);
    const revoked = grant('peers.list');
    h.svc.revoke({ caller: h.operator, idOrSignature: revoked.id });
    // a revoked parent whose (tampered) child is still live must stay
    const parent = grant('chain.receipts', null, { delegate: true });
    const child = h.svc.grant({ caller: bob, callerIsOperator: false, action: 'chain.receipts', subject: h.peer('carol@host') });
    h.db.prepare('UPDATE capabilities SET revoked_at = ? WHERE id = ?').run(h.clock.now(), parent.id);
    h.clock.advance(50);
    const revokedLater = grant('chain.batches');
    const cutoff = h.clock.now();
    h.svc.revoke({ caller: h.operator, idOrSignature: revokedLater.id });

    const purged = h.svc.purge({ caller: h.operator, beforeMs: cutoff });
    assert.equal(purged, 2);
    const left = new Set((h.db.prepare('SELECT id FROM capabilities').all() as { id: string }[]).map((r) => r.id));
    assert.deepEqual(
      [...left].sort(),
      [live.id, liveExpiring.id, parent.id, child.id, revokedLater.id].sort(),
    );
    assert.equal(left.has(expired.id), false);
    assert.equal(left.has(revoked.id), false);
    const rows = h.auditRows('capabilities_purged');
    assert.equal(rows.length, 1);
    assert.deepEqual(rows[0]!.payload, { before_ms: cutoff, purged: 2 });

    // once the child is revoked too, both go
    h.svc.revoke({ caller: h.operator, idOrSignature: child.id });
    h.clock.advance(10);
    assert.equal(h.svc.purge({ caller: h.operator, beforeMs: h.clock.now() }), 3);
    assert.equal(capCount(h.db), 2);
    assert.throws(() => h.svc.purge({ caller: h.operator, beforeMs: -1 }), /before_ms/);
  });

  it('recent lists what the caller holds or granted, newest first, within the limit', () => {
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    const a = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.read', subject: bob, scope: { delegate: true } });
    h.clock.advance(1);
    const b = h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.write', subject: carol });
    h.clock.advance(1);
    const c = h.svc.grant({ caller: bob, callerIsOperator: false, action: 'memory.read', subject: carol });
    assert.deepEqual(h.svc.recent({ caller: bob }).map((x) => x.id), [c.id, a.id]);
    assert.deepEqual(h.svc.recent({ caller: carol }).map((x) => x.id), [c.id, b.id]);
    assert.deepEqual(h.svc.recent({ caller: carol, limit: 1 }).map((x) => x.id), [c.id]);
    assert.deepEqual(h.svc.recent({ caller: h.operator }).map((x) => x.id), [b.id, a.id]);
  });

  it('bootstrapOperator grants the default set once, then only what is missing', () => {
    const first = h.svc.bootstrapOperator(h.operator);
    assert.deepEqual(first.map((c) => c.action), [...OPERATOR_DEFAULT_ACTIONS]);
    for (const action of OPERATOR_DEFAULT_ACTIONS) {
      assert.equal(h.svc.check({ caller: h.operator, required: action }).passed, true, action);
    }
    assert.equal(h.svc.check({ caller: h.operator, required: 'memory.purge' }).passed, false);
    assert.equal(h.svc.bootstrapOperator(h.operator).length, 0);
    assert.equal(capCount(h.db), OPERATOR_DEFAULT_ACTIONS.length);
    assert.equal(h.auditRows('capability_granted').length, OPERATOR_DEFAULT_ACTIONS.length);

    const audit = first.find((c) => c.action === 'audit.read')!;
    h.svc.revoke({ caller: h.operator, idOrSignature: audit.id });
    const again = h.svc.bootstrapOperator(h.operator);
    assert.deepEqual(again.map((c) => c.action), ['audit.read']);
    assert.equal(h.auditRows('capability_granted').length, OPERATOR_DEFAULT_ACTIONS.length + 1);
  });
});

describe('actions and scopes', () => {
  it('actionMatches: equality and trailing .* prefixes only', () => {
    assert.equal(actionMatches('memory.read', 'memory.read'), true);
    assert.equal(actionMatches('memory.read', 'memory.write'), false);
    assert.equal(actionMatches('memory.repair.*', 'memory.repair.apply'), true);
    assert.equal(actionMatches('memory.repair.*', 'memory.repair'), false);
    assert.equal(actionMatches('memory.repair.*', 'memory.repairx.apply'), false);
    assert.equal(actionMatches('memory.*', 'memory.repair.*'), true);
    assert.equal(actionMatches('memory.repair.apply', 'memory.repair.*'), false);
    assert.equal(actionMatches('*', 'memory.read'), false);
  });

  it('grantCommandFor prints the exact CLI line', () => {
    assert.equal(grantCommandFor('memory.purge'), 'covenant capabilities grant memory.purge');
    assert.equal(grantCommandFor('a2a.send.bob@host', 'alice@host'), 'covenant capabilities grant a2a.send.bob@host --to alice@host');
    assert.equal(grantCommandFor('memory.repair.*'), "covenant capabilities grant 'memory.repair.*'");
  });

  it('isNarrowerOrEqual enforces attenuation', () => {
    const parent = parseScope({ delegate: true, tier: ['a', 'b'], arguments: { x: 1 }, max_before_ms: 100, agents: ['p@agent'] });
    const same = parseScope({ delegate: true, tier: ['b', 'a'], arguments: { x: 1 }, max_before_ms: 100, agents: ['p@agent'] });
    assert.equal(isNarrowerOrEqual(same, parent), true);
    assert.equal(isNarrowerOrEqual(parseScope({ tier: 'a', arguments: { x: 1, y: 2 }, max_before_ms: 5, agents: ['p@agent'] }), parent), true);
    assert.equal(isNarrowerOrEqual(parseScope({ tier: 'a', arguments: { x: 1 }, max_before_ms: 101, agents: ['p@agent'] }), parent), false);
    assert.equal(isNarrowerOrEqual(parseScope({ tier: 'a', arguments: { x: 1 }, max_before_ms: 5 }), parent), false);
    assert.equal(isNarrowerOrEqual(parseScope({ tier: 'a', arguments: {}, max_before_ms: 5, agents: ['p@agent'] }), parent), false);
    assert.equal(isNarrowerOrEqual(parseScope({ tier: 'c', arguments: { x: 1 }, max_before_ms: 5, agents: ['p@agent'] }), parent), false);
    assert.equal(isNarrowerOrEqual(parseScope({ delegate: true }), parseScope({})), false);
    assert.equal(isNarrowerOrEqual(parseScope({ tier: 'a' }), parseScope({})), true);
  });

  it('scopeAdmits ignores facts the scope does not restrict', () => {
    assert.equal(scopeAdmits(parseScope({}), { tier: 'anything', agent: 'x' }), true);
    assert.equal(scopeAdmits(parseScope({ delegate: true }), {}), true);
    assert.equal(scopeAdmits(parseScope({ agents: ['x'] }), { tier: 'anything' }), false);
  });

  it('parseScope refuses unknown keys and ill-typed values, naming the key', () => {
    assert.throws(() => parseScope({ delegat: true }), (e: unknown) => e instanceof CovenantError && /"delegat"/.test(e.message));
    assert.throws(() => parseScope({ max_before_ms: -1 }), /max_before_ms/);
    assert.throws(() => parseScope({ agents: [] }), /agents/);
    assert.throws(() => parseScope({ delegate: 'yes' }), /delegate/);
    assert.throws(() => parseScope(null), /JSON object/);
  });
});
