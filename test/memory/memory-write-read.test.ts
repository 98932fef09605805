import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, test } from 'node:test';
import { memoryFixture, write, type MemoryFixture } from './helpers.js';

let f: MemoryFixture;
before(async () => {
  f = await memoryFixture();
});
after(async () => {
  await f.stop();
});

test('tiers: the default is episodic and long-term, long_term and any case are accepted as longterm', async () => {
  assert.equal((await write(f, 'default tier note')).tier, 'episodic');
  assert.equal((await write(f, 'working note', { tier: 'working' })).tier, 'working');
  for (const spelling of ['longterm', 'long-term', 'long_term', 'Long-Term']) {
    assert.equal((await write(f, `kept for good ${spelling}`, { tier: spelling })).tier, 'longterm', spelling);
  }
  const recent = await f.ok({ kind: 'memory_recent', tier: 'long-term', limit: 100 });
  assert.equal(recent.tier, 'longterm');
  assert.equal((recent.records as unknown[]).length, 4);
});

test('memory_write answers the record and writes its memory receipt and audit row (no text) in one go', async () => {
  const text = 'the launch code is in the blue folder';
  const record = await write(f, text, { tier: 'episodic' });
  const self = f.t.daemon.ctx.identity.agentId;
  assert.deepEqual(Object.keys(record).sort(), ['created_at', 'id', 'owner', 'parent', 'receipt_id', 'text', 'tier']);
  assert.equal(record.owner, self.pubkey);
  assert.equal(record.text, text);
  assert.equal(record.parent, null);
  const receipt = f.t.daemon.ctx.db.prepare('SELECT * FROM receipts WHERE id = ?').get(record.receipt_id) as Record<string, unknown>;
  assert.equal(receipt.resource, 'memory');
  assert.equal(receipt.status, 'ok');
  assert.equal(receipt.payer, self.pubkey);
  assert.equal(receipt.memory_record_id, record.id);
  assert.equal(receipt.credits_consumed, 1);
  assert.equal(receipt.settled_at, record.created_at);
  const row = f.auditRows('memory_written').find((r) => r.id === record.id)!;
  assert.deepEqual(row, {
    id: record.id,
    tier: 'episodic',
    parent: null,
    receipt_id: record.receipt_id,
    credits: 1,
    text_bytes: Buffer.byteLength(text),
    text_sha256: createHash('sha256').update(text).digest('hex'),
  });
  const audit = JSON.stringify(f.t.daemon.ctx.db.prepare('SELECT payload FROM audit_events').all());
  assert.ok(!audit.includes('blue folder'), 'the audit log never holds memory text');
});

test('credits: 1 per started 4 KiB of UTF-8 text', async () => {
  const credits = (text: string) =>
    write(f, text).then(
      (r) => (f.t.daemon.ctx.db.prepare('SELECT credits_consumed AS c FROM receipts WHERE id = ?').get(r.receipt_id) as { c: number }).c,
    );
  assert.equal(await credits('x'.repeat(4096)), 1);
  assert.equal(await credits('x'.repeat(4097)), 2);
  assert.equal(await credits('é'.repeat(4096)), 2); // 8192 bytes
  const tooLong = 'y'.repeat(64 * 1024 + 1);
  const before = f.snapshot();
  await f.refused({ kind: 'memory_write', text: tooLong }, 'E_BAD_REQUEST');
  assert.equal(f.snapshot(), before);
});

test('parent must be one of your own records; missing or foreign parents are E_NOT_FOUND and change nothing', async () => {
  const parent = await write(f, 'parent note');
  const child = await write(f, 'child note', { parent: parent.id, tier: 'working' });
  assert.equal(child.parent, parent.id);
  const bob = await f.peer('bob@parents');
  f.grant('memory.write', bob.agentId);
  const before = f.snapshot();
  await f.refused({ kind: 'memory_write', text: 'x', parent: '00000000-0000-4000-8000-000000000000' }, 'E_NOT_FOUND');
  const message = await f.refused({ kind: 'memory_write', text: 'steal a parent', parent: parent.id }, 'E_NOT_FOUND', bob.client);
  assert.match(message, /no memory record .* of yours/);
  assert.equal(f.snapshot(), before);
});

test('bad input changes nothing: unknown tier (naming the allowed values), empty text', async () => {
  const before = f.snapshot();
  const message = await f.refused({ kind: 'memory_write', text: 'x', tier: 'forever' }, 'E_BAD_REQUEST');
  assert.match(message, /unknown memory tier "forever"; use one of working, episodic, longterm \(also long-term, long_term\)/);
  await f.refused({ kind: 'memory_recent', tier: 'short' }, 'E_BAD_REQUEST');
  await f.refused({ kind: 'memory_search', query: 'x', tier: 'short' }, 'E_BAD_REQUEST');
  await f.refused({ kind: 'memory_write', text: '' }, 'E_BAD_REQUEST');
  await f.refused({ kind: 'memory_write', text: '   ' }, 'E_BAD_REQUEST');
  await f.refused({ kind: 'memory_recent', limit: 0 }, 'E_BAD_REQUEST');
  assert.equal(f.snapshot(), before);
});

test('visibility: another peer reads only its own records, never yours', async () => {
  const mine = await write(f, 'operator secret about zebras');
  const bob = await f.peer('bob@visibility');
  f.grant('memory.read', bob.agentId);
  f.grant('memory.write', bob.agentId);
  const bobs = await write(f, 'bob likes zebras too', {}, bob.client);
  const recent = await f.ok({ kind: 'memory_recent', limit: 1000 }, bob.client);
  assert.deepEqual((recent.records as Array<{ id: string }>).map((r) => r.id), [bobs.id]);
  const found = await f.ok({ kind: 'memory_search', query: 'operator secret about zebras', limit: 1000 }, bob.client);
  assert.deepEqual((found.records as Array<{ id: string }>).map((r) => r.id), [bobs.id]);
  const mineFound = await f.ok({ kind: 'memory_search', query: 'operator secret about zebras', limit: 1 });
  assert.equal((mineFound.records as Array<{ id: string }>)[0]!.id, mine.id);
  // A peer without memory.read is refused.
  const carol = await f.peer('carol@visibility');
  const message = await f.refused({ kind: 'memory_recent' }, 'E_CAPABILITY_MISSING', carol.client);
  assert.match(message, /memory\.read/);
});

test('memory.read.<tier> reads that tier only; a tier scope on memory.read works the same way', async () => {
  const dave = await f.peer('dave@tiers');
  f.grant('memory.write', dave.agentId);
  f.grant('memory.read.working', dave.agentId);
  await write(f, 'dave working note', { tier: 'working' }, dave.client);
  await write(f, 'dave episodic note', { tier: 'episodic' }, dave.client);
  const seqBefore = (f.t.daemon.ctx.db.prepare('SELECT max(seq) AS s FROM audit_events').get() as { s: number }).s;
  const working = await f.ok({ kind: 'memory_recent', tier: 'working' }, dave.client);
  assert.deepEqual((working.records as Array<{ text: string }>).map((r) => r.text), ['dave working note']);
  // One passing capability_check row (memory.read.working), not a failing memory.read row first.
  const checks = f.t.daemon.ctx.db
    .prepare("SELECT payload FROM audit_events WHERE seq > ? AND kind = 'capability_check'")
    .all(seqBefore)
    .map((r) => JSON.parse((r as { payload: string }).payload) as { required: string; passed: boolean });
  assert.deepEqual(checks.map((c) => [c.required, c.passed]), [['memory.read.working', true]]);
  await f.ok({ kind: 'memory_search', query: 'dave note', tier: 'working' }, dave.client);
  const refusal = await f.refused({ kind: 'memory_recent', tier: 'episodic' }, 'E_CAPABILITY_MISSING', dave.client);
  assert.match(refusal, /memory\.read \(or memory\.read\.episodic\)/);
  await f.refused({ kind: 'memory_search', query: 'dave', tier: 'episodic' }, 'E_CAPABILITY_MISSING', dave.client);
  // Every tier at once needs memory.read for every tier.
  await f.refused({ kind: 'memory_recent' }, 'E_CAPABILITY_MISSING', dave.client);

  const erin = await f.peer('erin@tiers');
  f.grant('memory.read', erin.agentId, { tier: ['episodic'] });
  await f.ok({ kind: 'memory_recent', tier: 'episodic' }, erin.client);
  await f.refused({ kind: 'memory_recent', tier: 'working' }, 'E_CAPABILITY_MISSING', erin.client);
  await f.refused({ kind: 'memory_recent' }, 'E_CAPABILITY_MISSING', erin.client);
});

test('memory.write with a tier scope limits the tiers written (default episodic counts)', async () => {
  const frank = await f.peer('frank@writes');
  f.grant('memory.write', frank.agentId, { tier: 'working' });
  await write(f, 'ok', { tier: 'working' }, frank.client);
  await f.refused({ kind: 'memory_write', text: 'no' }, 'E_CAPABILITY_MISSING', frank.client);
  await f.refused({ kind: 'memory_write', text: 'no', tier: 'longterm' }, 'E_CAPABILITY_MISSING', frank.client);
});

test('recent: newest first, limit honoured, stale flag present', async () => {
  const a = await write(f, 'order one', { tier: 'working' });
  const b = await write(f, 'order two', { tier: 'working' });
  const reply = await f.ok({ kind: 'memory_recent', tier: 'working', limit: 2 });
  assert.equal(reply.mode, 'recent');
  assert.equal(reply.limit, 2);
  assert.equal(reply.query, null);
  assert.equal(reply.min_relevance, null);
  const records = reply.records as Array<Record<string, unknown>>;
  assert.deepEqual(records.map((r) => r.id), [b.id, a.id]);
  assert.equal(records[0]!.stale, false);
  assert.equal('relevance' in records[0]!, false);
});
