import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startDaemon } from '../../src/daemon/index.js';
import { tempHome } from '../helpers/temp-home.js';
import { memoryConsistency, memoryFixture, sleep, write, type MemoryFixture } from './helpers.js';
import { waitFor } from '../helpers/wait.js';

let f: MemoryFixture;
before(async () => {
  f = await memoryFixture();
});
after(async () => {
  await f.stop();
});

const config = (text: string) => writeFileSync(f.t.daemon.paths.config, text);
type Rec = { id: string; parent: string | null; stale: number; tier: string };
const rec = (id: unknown) => f.t.daemon.ctx.db.prepare('SELECT id, parent, stale, tier FROM memory_records WHERE id = ?').get(id) as Rec | undefined;

test('compaction needs memory.compact.dry_run / memory.compact.apply', async () => {
  const dry = await f.refused({ kind: 'memory_compact', reason: 'check' }, 'E_CAPABILITY_MISSING');
  assert.match(dry, /memory\.compact\.dry_run/);
  const apply = await f.refused({ kind: 'memory_compact', reason: 'check', apply: true }, 'E_CAPABILITY_MISSING');
  assert.match(apply, /memory\.compact\.apply/);
  await f.refused({ kind: 'memory_compact', reason: '   ' }, 'E_BAD_REQUEST');
  f.grant('memory.compact.*');
});

test('dry run reports, apply deletes working/episodic beyond the policy and only marks long-term stale', async () => {
  config(`
[model]
provider = "none"

[memory.retention.working]
max_count = 1

[memory.retention.episodic]
max_count = 2

[memory.retention.long-term]
max_count = 1
`);
  const e1 = await write(f, 'episodic one', { tier: 'episodic' });
  await write(f, 'episodic two', { tier: 'episodic' });
  await write(f, 'episodic three', { tier: 'episodic' });
  const w1 = await write(f, 'working one', { tier: 'working' });
  const w2 = await write(f, 'working two', { tier: 'working' });
  const l1 = await write(f, 'long-term one, child of episodic one', { tier: 'longterm', parent: e1.id });
  const l2 = await write(f, 'long-term two', { tier: 'longterm' });
  const l3 = await write(f, 'long-term three', { tier: 'longterm' });
  await f.ok({ kind: 'memory_search', query: 'episodic one' }); // load the index

  const before = f.snapshot({ audit: false });
  const dry = await f.ok({ kind: 'memory_compact', reason: 'nightly check' });
  assert.deepEqual(dry.outcome, { mode: 'dry_run', would_change: 4, changed: 0, deleted: 2, stale_marked: 2, parents_detached: 1 });
  assert.equal(f.snapshot({ audit: false }), before, 'a dry run changes nothing');

  const applied = await f.ok({ kind: 'memory_compact', reason: 'nightly apply', apply: true });
  assert.deepEqual(applied.outcome, { mode: 'apply', would_change: 4, changed: 4, deleted: 2, stale_marked: 2, parents_detached: 1 });
  assert.equal(rec(e1.id), undefined);
  assert.equal(rec(w1.id), undefined);
  assert.equal(rec(w2.id)?.stale, 0);
  assert.deepEqual(rec(l1.id), { id: l1.id, parent: null, stale: 1, tier: 'longterm' });
  assert.equal(rec(l2.id)?.stale, 1);
  assert.equal(rec(l3.id)?.stale, 0);
  const tomb = f.t.daemon.ctx.db.prepare('SELECT cause, receipt_id FROM memory_tombstones WHERE record_id = ?').get(w1.id) as Record<string, unknown>;
  assert.deepEqual(tomb, { cause: 'retention', receipt_id: w1.receipt_id });
  assert.deepEqual(memoryConsistency(f), []);

  const rows = f.auditRows('memory_compacted');
  assert.deepEqual(
    rows.map((r) => [r.reason, r.mode, r.changed]),
    [
      ['nightly check', 'dry_run', 0],
      ['nightly apply', 'apply', 4],
    ],
  );
  // Stale long-term records are still read, flagged.
  const longterm = await f.ok({ kind: 'memory_recent', tier: 'longterm' });
  assert.deepEqual(
    (longterm.records as Array<{ id: string; stale: boolean }>).map((r) => [r.id, r.stale]),
    [
      [l3.id, false],
      [l2.id, true],
      [l1.id, true],
    ],
  );
  const hits = await f.ok({ kind: 'memory_search', query: 'episodic one' });
  assert.ok(!(hits.records as Array<{ id: string }>).some((r) => r.id === e1.id));

  const again = await f.ok({ kind: 'memory_compact', reason: 'again', apply: true });
  assert.equal((again.outcome as { would_change: number }).would_change, 0);
});

test('max_age: long-term records are never deleted, only marked stale', async () => {
  config(`
[memory.retention.longterm]
max_age_ms = 1
[memory.retention.working]
max_age_ms = "unlimited"
[memory.retention.episodic]
max_age_ms = "unlimited"
`);
  const lt = await write(f, 'a long-term memory that ages', { tier: 'longterm' });
  const ep = await write(f, 'an episodic memory kept by an unlimited age', { tier: 'episodic' });
  await sleep(10);
  const count = f.count('memory_records', "tier = 'longterm'");
  const out = await f.ok({ kind: 'memory_compact', reason: 'age', apply: true });
  assert.equal((out.outcome as { deleted: number }).deleted, 0);
  assert.equal(f.count('memory_records', "tier = 'longterm'"), count);
  assert.equal(rec(lt.id)?.stale, 1);
  assert.equal(rec(ep.id)?.stale, 0);
});

test('a bad [memory.retention] is refused naming the key, and changes nothing', async () => {
  const cases: Array<[string, RegExp]> = [
    ['[memory.retention.working]\nmax_age = 5\n', /memory\.retention\.working\.max_age: unknown key/],
    ['[memory.retention.working]\nmax_count = -3\n', /memory\.retention\.working\.max_count: expected a positive whole number or "unlimited"/],
    ['[memory.retention.forever]\nmax_count = 3\n', /memory\.retention\.forever: unknown tier/],
    ['[memory.retention]\nworking = 3\n', /memory\.retention\.working: /],
    ['[memory.retention.working\n', /not valid TOML/],
  ];
  const before = f.snapshot();
  for (const [text, pattern] of cases) {
    config(text);
    const message = await f.refused({ kind: 'memory_compact', reason: 'bad config', apply: true }, 'E_BAD_REQUEST');
    assert.match(message, pattern);
    assert.match(message, /config\.toml/);
  }
  assert.equal(f.snapshot(), before);
  config('');
});

test('the retention timer applies the policy and audits as the daemon', async () => {
  config('[memory.retention.working]\nmax_count = 1\n');
  await write(f, 'timer working a', { tier: 'working' });
  await write(f, 'timer working b', { tier: 'working' });
  const memory = f.t.daemon.ctx.memory;
  memory.stopRetentionTimer();
  memory.startRetentionTimer({ firstMs: 5, everyMs: 60_000 });
  assert.ok(await waitFor(() => f.count('memory_records', "tier = 'working'") <= 1), 'the retention timer ran');
  memory.stopRetentionTimer();
  assert.equal(f.count('memory_records', "tier = 'working'"), 1);
  const row = f.t.daemon.ctx.db
    .prepare("SELECT issuer_pubkey, payload FROM audit_events WHERE kind = 'memory_compacted' ORDER BY seq DESC LIMIT 1")
    .get() as { issuer_pubkey: string; payload: string };
  assert.equal(row.issuer_pubkey, f.t.daemon.ctx.identity.agentId.pubkey);
  assert.equal((JSON.parse(row.payload) as { reason: string }).reason, 'retention policy (timer)');
  config('');
});

test('covenantd refuses to start with a bad [memory.retention], naming the key', async () => {
  const { home, cleanup } = tempHome();
  try {
    mkdirSync(home, { recursive: true, mode: 0o700 });
    writeFileSync(join(home, 'config.toml'), '[memory.retention.episodic]\nmax_age_ms = "90d"\n');
    await assert.rejects(startDaemon({ home }), /memory\.retention\.episodic\.max_age_ms: expected a positive whole number or "unlimited"/);
  } finally {
    cleanup();
  }
});
