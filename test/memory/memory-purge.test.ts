import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { memoryConsistency, memoryFixture, sleep, write, type MemoryFixture } from './helpers.js';

let f: MemoryFixture;
before(async () => {
  f = await memoryFixture();
});
after(async () => {
  await f.stop();
});

test('purge needs memory.purge (not in the operator defaults)', async () => {
  await write(f, 'kept until granted');
  const before = f.snapshot({ audit: false });
  const message = await f.refused({ kind: 'memory_purge', older_than_ms: 0 }, 'E_CAPABILITY_MISSING');
  assert.match(message, /covenant capabilities grant memory\.purge/);
  assert.equal(f.snapshot({ audit: false }), before);
  f.grant('memory.purge');
});

test('purge keeps memory, receipts and audit consistent: tombstones mark receipts, children are detached', async () => {
  const db = f.t.daemon.ctx.db;
  const parent = await write(f, 'episodic parent about otters', { tier: 'episodic' });
  const child = await write(f, 'working child about otters', { tier: 'working', parent: parent.id });
  const keep = await write(f, 'long-term otter fact', { tier: 'longterm' });
  await f.ok({ kind: 'memory_search', query: 'otters' }); // the index holds them now
  await sleep(5);
  const episodicIds = (db.prepare("SELECT id FROM memory_records WHERE tier = 'episodic'").pluck().all() as string[]).sort();
  const reply = await f.ok({ kind: 'memory_purge', tier: 'episodic', older_than_ms: 0 });
  assert.equal(reply.kind, 'memory_purged');
  assert.equal(reply.purged, episodicIds.length);
  assert.ok(typeof reply.before_ms === 'number' && reply.before_ms <= Date.now());
  assert.deepEqual(Object.keys(reply).sort(), ['before_ms', 'kind', 'purged']);

  assert.equal(f.count('memory_records', "tier = 'episodic'"), 0);
  const childNow = db.prepare('SELECT parent FROM memory_records WHERE id = ?').get(child.id) as { parent: string | null };
  assert.equal(childNow.parent, null, 'the child is detached from its purged parent');
  assert.equal(f.count('memory_records', 'id = ?', keep.id), 1);
  // The receipt stays, unchanged, and a tombstone names it.
  const receipt = db.prepare('SELECT * FROM receipts WHERE id = ?').get(parent.receipt_id) as Record<string, unknown>;
  assert.equal(receipt.memory_record_id, parent.id);
  const tomb = db.prepare('SELECT * FROM memory_tombstones WHERE record_id = ?').get(parent.id) as Record<string, unknown>;
  assert.equal(tomb.receipt_id, parent.receipt_id);
  assert.equal(tomb.cause, 'purge');
  assert.equal(tomb.tier, 'episodic');
  assert.deepEqual(memoryConsistency(f), []);

  const row = f.auditRows('memory_purged').at(-1)!;
  assert.equal(row.tier, 'episodic');
  assert.equal(row.before_ms, reply.before_ms);
  assert.equal(row.purged, episodicIds.length);
  assert.equal(row.ids_sha256, createHash('sha256').update(episodicIds.join('\n')).digest('hex'));
  assert.equal(row.parents_detached, 1);
  assert.equal(row.receipts_marked, episodicIds.length);

  const recent = await f.ok({ kind: 'memory_recent', limit: 1000 });
  assert.ok(!(recent.records as Array<{ id: string }>).some((r) => r.id === parent.id));
  const found = await f.ok({ kind: 'memory_search', query: 'otters', limit: 1000 });
  assert.ok(!(found.records as Array<{ id: string }>).some((r) => r.id === parent.id));
  assert.ok((found.records as Array<{ id: string }>).some((r) => r.id === child.id));
});

test('purge without a tier takes every tier; records newer than the cutoff stay', async () => {
  const cutoff = Date.now();
  await sleep(5);
  const fresh = await write(f, 'written after the cutoff');
  const reply = await f.ok({ kind: 'memory_purge', before_ms: cutoff });
  assert.ok((reply.purged as number) >= 2);
  const left = f.t.daemon.ctx.db.prepare('SELECT id FROM memory_records WHERE owner = ?').pluck().all(f.t.daemon.ctx.identity.agentId.pubkey);
  assert.deepEqual(left, [fresh.id]);
  assert.equal(f.auditRows('memory_purged').at(-1)!.tier, null);
  assert.deepEqual(memoryConsistency(f), []);
});

test('bad cutoffs are refused and change nothing: future, both, neither', async () => {
  await write(f, 'still here');
  const before = f.snapshot();
  const future = await f.refused({ kind: 'memory_purge', before_ms: Date.now() + 60_000 }, 'E_BAD_REQUEST');
  assert.match(future, /in the future/);
  await f.refused({ kind: 'memory_purge', before_ms: 1, older_than_ms: 1 }, 'E_BAD_REQUEST');
  await f.refused({ kind: 'memory_purge' }, 'E_BAD_REQUEST');
  await f.refused({ kind: 'memory_purge', tier: 'nope', older_than_ms: 0 }, 'E_BAD_REQUEST');
  assert.equal(f.snapshot(), before);
});

test('a peer purges only its own records, within its scope (tier, max_before_ms)', async () => {
  const mine = await write(f, 'operator record a peer must not purge', { tier: 'working' });
  const gus = await f.peer('gus@purge');
  f.grant('memory.write', gus.agentId);
  const cap = Date.now() + 3_600_000;
  f.grant('memory.purge', gus.agentId, { tier: 'working', max_before_ms: cap });
  await write(f, 'gus working note', { tier: 'working' }, gus.client);
  await write(f, 'gus episodic note', { tier: 'episodic' }, gus.client);
  await sleep(5);
  const before = f.snapshot({ audit: false });
  await f.refused({ kind: 'memory_purge', older_than_ms: 0 }, 'E_CAPABILITY_MISSING', gus.client); // all tiers
  await f.refused({ kind: 'memory_purge', tier: 'episodic', older_than_ms: 0 }, 'E_CAPABILITY_MISSING', gus.client);
  assert.equal(f.snapshot({ audit: false }), before);
  const reply = await f.ok({ kind: 'memory_purge', tier: 'working', older_than_ms: 0 }, gus.client);
  assert.equal(reply.purged, 1);
  assert.equal(f.count('memory_records', 'id = ?', mine.id), 1);
  assert.equal(f.count('memory_records', 'owner = ?', gus.agentId.pubkey), 1);
});
