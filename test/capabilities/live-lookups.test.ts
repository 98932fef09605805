import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { CapabilityStore } from '../../src/capabilities/index.js';
import { harness, type Harness } from './helpers.js';

// The remembered lookups of checked requests (src/capabilities/live-lookups.ts): what a check
// sees must be what the table holds, from the very next check after any change.
describe('remembered capability lookups', () => {
  let h: Harness;
  let store: CapabilityStore;
  beforeEach(() => {
    h = harness();
    store = new CapabilityStore(h.db);
  });
  afterEach(() => h.close());

  const grantTo = (subject: ReturnType<Harness['peer']>, action = 'memory.write') =>
    h.svc.grant({ caller: h.operator, callerIsOperator: true, action, subject });

  it('answers a repeated lookup from memory: the same frozen records', () => {
    const bob = h.peer('bob@host');
    grantTo(bob);
    const first = store.liveFor(bob.pubkey, 'memory.write', h.clock.now());
    const second = store.liveFor(bob.pubkey, 'memory.write', h.clock.now());
    assert.equal(first.length, 1);
    assert.equal(second[0], first[0]);
    assert.equal(Object.isFrozen(first[0]), true);
    assert.equal(Object.isFrozen(first[0]!.scope), true);
    assert.throws(() => {
      (first[0] as { revoked_at: number | null }).revoked_at = 1;
    }, TypeError);
  });

  it('reads again after any write of the table on the connection, raw SQL included', () => {
    const bob = h.peer('bob@host');
    const cap = grantTo(bob);
    const before = store.liveFor(bob.pubkey, 'memory.write', h.clock.now());
    h.db.prepare('UPDATE capabilities SET revoked_at = ? WHERE id = ?').run(h.clock.now(), cap.id);
    assert.deepEqual(store.liveFor(bob.pubkey, 'memory.write', h.clock.now()), []);
    h.db.prepare('UPDATE capabilities SET revoked_at = NULL WHERE id = ?').run(cap.id);
    const after = store.liveFor(bob.pubkey, 'memory.write', h.clock.now());
    assert.equal(after.length, 1);
    assert.notEqual(after[0], before[0]);
  });

  it('sees a grant and a revocation at the very next check', () => {
    const bob = h.peer('bob@host');
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, false);
    const cap = grantTo(bob);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
    h.svc.revoke({ caller: h.operator, idOrSignature: cap.id });
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, false);
  });

  it('forgets a grant whose transaction rolled back, though a check inside it saw the grant', () => {
    const bob = h.peer('bob@host');
    assert.throws(
      h.db.transaction(() => {
        grantTo(bob);
        assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
        assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, false);
  });

  it('forgets a revocation whose transaction rolled back', () => {
    const bob = h.peer('bob@host');
    const cap = grantTo(bob);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
    assert.throws(
      h.db.transaction(() => {
        h.svc.revoke({ caller: h.operator, idOrSignature: cap.id });
        assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, false);
        throw new Error('rolled back');
      }),
      /rolled back/,
    );
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
  });

  it('recalls nothing while a grant may have been undone by SQLite itself, unnoticed', () => {
    // SQLite rolls a transaction back by itself on a full disk or an I/O error; the ROLLBACK
    // below stands for that: no db.transaction sees it, so no rollback is counted.
    const bob = h.peer('bob@host');
    const carol = h.peer('carol@host');
    grantTo(carol);
    let afterRollback: boolean | undefined;
    try {
      h.db.transaction(() => {
        grantTo(bob);
        assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, true);
        h.db.exec('ROLLBACK');
        afterRollback = h.svc.check({ caller: bob, required: 'memory.write' }).passed;
      })();
    } catch {
      // better-sqlite3 finds its transaction gone
    }
    assert.equal(afterRollback, false);
    assert.equal(h.svc.check({ caller: bob, required: 'memory.write' }).passed, false);
    assert.equal(h.svc.check({ caller: carol, required: 'memory.write' }).passed, true);
  });

  it('checks expiry against the clock on every lookup', () => {
    const bob = h.peer('bob@host');
    h.svc.grant({ caller: h.operator, callerIsOperator: true, action: 'memory.write', subject: bob, expiresAt: h.clock.now() + 1000 });
    assert.equal(store.liveFor(bob.pubkey, 'memory.write', h.clock.now()).length, 1);
    h.clock.advance(1000);
    assert.equal(store.liveFor(bob.pubkey, 'memory.write', h.clock.now()).length, 0);
  });
});
