// The registry keeps resolved live peers in memory: any change to `peers`, whatever makes it,
// must be seen by the very next lookup.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { systemClock } from '../../src/core/index.js';
import { hashToken, mintToken, PeerRegistry } from '../../src/peers/index.js';
import { migrate, openDatabase } from '../../src/store/index.js';
import { tempDir } from '../helpers/temp-home.js';

const { dir, cleanup } = tempDir('covenant-peer-cache-');
after(cleanup);
const db = openDatabase(join(dir, 'covenant.db'));
migrate(db);
after(() => db.close());
const agent = { display: 'bob@test', pubkey: 'B0bPubkey' };

test('a revocation by raw SQL, or a deleted row, is seen by the next resolve and isLive', () => {
  const peers = new PeerRegistry(db, systemClock);
  const token = mintToken();
  peers.register(token, agent, 'peer');
  assert.equal(peers.resolve(token)?.agent_id.display, 'bob@test');
  assert.equal(peers.isLive(hashToken(token)), true);
  db.prepare('UPDATE peers SET revoked_at = 1 WHERE token_hash = ?').run(hashToken(token));
  assert.equal(peers.resolve(token), null);
  assert.equal(peers.isLive(hashToken(token)), false);

  const other = mintToken();
  peers.register(other, agent, 'peer');
  assert.ok(peers.resolve(other));
  db.prepare('DELETE FROM peers WHERE token_hash = ?').run(hashToken(other));
  assert.equal(peers.isLive(hashToken(other)), false);
});

test('a peer resolved inside a transaction that rolls back is not kept', () => {
  const peers = new PeerRegistry(db, systemClock);
  const token = mintToken();
  assert.throws(() =>
    db.transaction(() => {
      peers.register(token, agent, 'peer');
      assert.ok(peers.resolve(token));
      throw new Error('roll back');
    })(),
  );
  assert.equal(peers.resolve(token), null);
});

test('two registries on one connection both forget on a change; records handed out cannot be altered', () => {
  const first = new PeerRegistry(db, systemClock);
  const second = new PeerRegistry(db, systemClock);
  const token = mintToken();
  first.register(token, agent, 'peer');
  assert.ok(first.resolve(token));
  assert.ok(second.resolve(token));
  db.prepare('UPDATE peers SET revoked_at = 2 WHERE token_hash = ?').run(hashToken(token));
  assert.equal(first.resolve(token), null);
  assert.equal(second.resolve(token), null);
  const live = mintToken();
  first.register(live, agent, 'operator');
  const record = first.resolve(live)!;
  assert.throws(() => {
    (record as { role: string }).role = 'peer';
  }, TypeError);
  assert.equal(first.resolve(live)!.role, 'operator');
});
