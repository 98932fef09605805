/** Issue 8 item 6: `capabilities revoke <token>` keeps only 6 characters of what it was given. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DaemonFixture, withDaemonFixture } from '../helpers/daemon-fixture.js';

test('capabilities revoke with a token: the answer and capability_revoke_rejected show 6 characters', async () => {
  await withDaemonFixture(DaemonFixture, async (f) => {
    const { token } = await f.addPeer('bob');
    for (const target of [token, token.slice(0, 12), `${token}-${token}`]) {
      const reply = await f.call({ kind: 'capabilities_revoke', id_or_signature: target });
      assert.equal(reply.code, 'E_NOT_FOUND');
      assert.equal(String(reply.message).includes(token.slice(0, 7)), false, String(reply.message));
      assert.match(String(reply.message), new RegExp(`signature ${token.slice(0, 6)}…;`));
      const row = f.audit('capability_revoke_rejected').at(-1)!;
      assert.equal(row.payload.target, `${token.slice(0, 6)}…`);
      assert.equal(String(row.payload.reason).includes(token.slice(0, 7)), false);
    }
    // A capability id is shown whole: it is no secret and the operator needs it.
    const id = '03c0618a-2a68-4cc4-990f-6d46467ac08e';
    assert.match(String((await f.call({ kind: 'capabilities_revoke', id_or_signature: id })).message), new RegExp(id));
    assert.equal(f.audit('capability_revoke_rejected').at(-1)!.payload.target, id);
  });
});
