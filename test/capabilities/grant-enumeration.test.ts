/**
 * Issue 8 item 10: a caller who may not grant to others gets one refusal whatever `--to` names
 * (an existing peer, no peer, a prefix of the operator's pubkey): the same code, the same
 * message and the same audit row, written before any lookup of the name.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DaemonFixture, withDaemonFixture } from '../helpers/daemon-fixture.js';

const withFixture = (fn: (f: DaemonFixture) => Promise<void>) => withDaemonFixture(DaemonFixture, fn);

test('a guest without grant rights gets one refusal for every --to, with one audit row shape', async () => {
  await withFixture(async (f) => {
    const guest = await f.addPeer('guest');
    const bob = await f.addPeer('bob');
    const operatorKey = f.operator.pubkey;
    const targets = [
      'bob@peer',
      'nobody@peer',
      bob.agent.pubkey.slice(0, 8),
      operatorKey.slice(0, 1),
      operatorKey.slice(0, 8),
      `${operatorKey.slice(0, 8)}zzzz`,
      operatorKey,
      'user@local',
      'guest@peer',
    ];
    // With nothing, and with a live capability for the action that is not delegable.
    for (const phase of ['nothing', 'non-delegable']) {
      if (phase === 'non-delegable') await f.grant({ action: 'memory.read', to: 'guest@peer' });
      const before = f.audit('capability_grant_rejected').length;
      const replies = [];
      for (const to of targets) replies.push(await f.grant({ action: 'memory.read', to }, guest.token));
      const distinct = new Set(replies.map((reply) => JSON.stringify(reply)));
      assert.equal(distinct.size, 1, `one answer for every target (${phase}):\n${[...distinct].join('\n')}`);
      assert.equal(replies[0]!.code, 'E_GRANT_REJECTED');
      assert.match(String(replies[0]!.message), /guest@peer holds no delegable capability for memory\.read/);
      for (const reply of replies) {
        assert.equal(String(reply.message).includes(operatorKey.slice(0, 8)), false, 'no pubkey characters in the answer');
      }

      const rows = f.audit('capability_grant_rejected').slice(before);
      assert.equal(rows.length, targets.length, 'every refusal is audited');
      for (const [i, row] of rows.entries()) {
        assert.equal(row.issuer_pubkey, guest.agent.pubkey);
        assert.deepEqual(row.payload, {
          action: 'memory.read',
          subject: null,
          target: targets[i]!.slice(0, 6),
          reason: replies[0]!.message,
        });
      }
      assert.equal(f.audit('request_rejected').filter((r) => r.issuer_pubkey === guest.agent.pubkey).length, 0);
    }
  });
});

test('a caller who may delegate still resolves --to: unknown names are E_NOT_FOUND, and the grant lands', async () => {
  await withFixture(async (f) => {
    const alice = await f.addPeer('alice');
    const bob = await f.addPeer('bob');
    await f.grant({ action: 'memory.read', to: 'alice@peer', scope: { delegate: true, tier: 'working' } });
    const unknown = await f.grant({ action: 'memory.read', to: 'nobody@peer' }, alice.token);
    assert.equal(unknown.code, 'E_NOT_FOUND', JSON.stringify(unknown));
    const granted = await f.grant({ action: 'memory.read', to: bob.agent.pubkey.slice(0, 10), scope: { tier: 'working' } }, alice.token);
    assert.equal(granted.kind, 'capability_granted', JSON.stringify(granted));
    assert.equal(granted.subject_pubkey, bob.agent.pubkey);
    // A refusal after the name resolved keeps the resolved subject in its row.
    const widened = await f.grant({ action: 'memory.read', to: 'bob@peer' }, alice.token);
    assert.equal(widened.code, 'E_GRANT_REJECTED', JSON.stringify(widened));
    assert.match(String(widened.message), /tier/);
    const row = f.audit('capability_grant_rejected').at(-1)!;
    assert.deepEqual(row.payload.subject, bob.agent);
    assert.equal(row.payload.target, 'bob@pe');
  });
});
