// Live tests for memory retention (SPEC 3): write, recent, search, purge and compaction through
// the real covenant binary against the real covenantd on a temporary COVENANT_HOME, checking
// exit codes, the one-line JSON, human lines, and that `covenant verify` stays clean after a
// purge and a compaction. External service: none beyond the two binaries, the Unix socket and
// the SQLite file (the embedder is the deterministic local one).
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MemoryReadRecord as RecordView } from '../../src/protocol/index.js';
import type { CliResult } from '../helpers/binaries.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { addPeer, okJson, sleep } from './helpers.js';

/** A refused `--json` run: exit 1, nothing on stderr and `{kind:"error", code}` on stdout. */
function errorJson(result: CliResult, code: string): Record<string, unknown> {
  assert.equal(result.code, 1, `exit ${result.code}: ${result.stdout}${result.stderr}`);
  assert.equal(result.stderr, '');
  assert.ok(result.json, `not JSON: ${result.stdout}`);
  assert.equal(result.json.kind, 'error');
  assert.equal(result.json.code, code, String(result.json.message));
  return result.json;
}

function write(live: LiveHome, text: string, ...flags: string[]): RecordView {
  return okJson(live.cli(['memory', 'write', ...text.split(' '), ...flags, '--json']), 'memory_written').record as RecordView;
}

function verifyClean(live: LiveHome): void {
  const report = okJson(live.cli(['verify', '--json']), 'verify_report');
  assert.equal(report.orphans_total, 0, JSON.stringify(report.drift));
}

async function withHome(fn: (live: LiveHome) => Promise<void>): Promise<void> {
  const live = liveHome();
  try {
    await live.start();
    await fn(live);
  } finally {
    await live.dispose();
  }
}

liveTest('live_memory_read_json', () =>
  withHome(async (live) => {
    const a = write(live, 'first working note', '--tier', 'working');
    const b = write(live, 'a long-term fact', '--tier', 'long-term');
    const c = write(live, 'an episodic memory follows the fact', '--parent', b.id);
    assert.equal(a.tier, 'working');
    assert.equal(b.tier, 'longterm');
    assert.equal(c.tier, 'episodic');
    assert.equal(c.parent, b.id);

    const all = okJson(live.cli(['memory', 'recent', '--json']), 'memory_read');
    assert.equal(all.mode, 'recent');
    assert.equal(all.tier, null);
    assert.equal(all.query, null);
    assert.deepEqual((all.records as RecordView[]).map((r) => r.id), [c.id, b.id, a.id]);
    const working = okJson(live.cli(['memory', 'recent', '--tier', 'working', '-n', '5', '--json']), 'memory_read');
    assert.equal(working.limit, 5);
    assert.deepEqual((working.records as RecordView[]).map((r) => r.id), [a.id]);

    const human = live.cli(['memory', 'recent', '-n', '1']);
    assert.equal(human.code, 0);
    assert.equal(human.stdout, `${c.id} [episodic] an episodic memory follows the fact\n`);

    // Unknown tier: an error answer (exit 1) naming the allowed values; nothing written.
    const bad = errorJson(live.cli(['memory', 'write', 'x', '--tier', 'forever', '--json']), 'E_BAD_REQUEST');
    assert.match(String(bad.message), /working, episodic, longterm/);
    // A peer without memory.read is refused; with memory.read it sees only its own (none).
    const peer = addPeer(live, 'reader');
    const env = { COVENANT_TOKEN: peer.token };
    errorJson(live.cli(['memory', 'recent', '--json'], env), 'E_CAPABILITY_MISSING');
    okJson(live.cli(['capabilities', 'grant', 'memory.read', '--to', peer.agent.display, '--json']), 'capability_granted');
    const theirs = okJson(live.cli(['memory', 'recent', '--json'], env), 'memory_read');
    assert.deepEqual(theirs.records, []);
  }),
);

liveTest('live_memory_search', () =>
  withHome(async (live) => {
    const garden = write(live, 'tomatoes need full sun in the vegetable garden');
    write(live, 'the quarterly tax return is due in april');
    write(live, 'water the basil on the balcony', '--tier', 'working');
    const reply = okJson(live.cli(['memory', 'search', 'vegetable', 'garden', '-n', '2', '--json']), 'memory_read');
    assert.equal(reply.mode, 'search');
    assert.equal(reply.query, 'vegetable garden');
    assert.equal(reply.limit, 2);
    const hits = reply.records as RecordView[];
    assert.equal(hits[0]!.id, garden.id);
    assert.ok(hits[0]!.relevance! > 0 && hits[0]!.relevance! <= 1);

    const strict = okJson(live.cli(['memory', 'search', 'tomatoes', 'need', 'full', 'sun', 'in', 'the', 'vegetable', 'garden', '--min-relevance', '1', '--json']), 'memory_read');
    assert.deepEqual((strict.records as RecordView[]).map((r) => r.id), [garden.id]);

    const human = live.cli(['memory', 'search', 'basil', '--tier', 'working']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^[0-9a-f-]{36} \[working\] \d\.\d{3} water the basil on the balcony\n$/);

    // --min-relevance outside [0, 1] is a usage error: exit 2, nothing sent.
    const usage = live.cli(['memory', 'search', 'basil', '--min-relevance', '1.5', '--json']);
    assert.equal(usage.code, 2);
    assert.equal(usage.stdout, '');
  }),
);

liveTest('live_memory_purge_json', () =>
  withHome(async (live) => {
    const parent = write(live, 'an episodic parent');
    const child = write(live, 'a working child', '--tier', 'working', '--parent', parent.id);
    await sleep(20);
    errorJson(live.cli(['memory', 'purge', '--older-than-ms', '0', '--json']), 'E_CAPABILITY_MISSING');
    okJson(live.cli(['capabilities', 'grant', 'memory.purge', '--json']), 'capability_granted');
    const usage = live.cli(['memory', 'purge', '--json']);
    assert.equal(usage.code, 2, 'a purge without a cutoff is a usage error');
    errorJson(live.cli(['memory', 'purge', '--before-ms', String(Date.now() + 3_600_000), '--json']), 'E_BAD_REQUEST');

    const purged = okJson(live.cli(['memory', 'purge', '--tier', 'episodic', '--older-than-ms', '0', '--json']), 'memory_purged');
    assert.equal(purged.purged, 1);
    assert.equal(typeof purged.before_ms, 'number');
    const left = okJson(live.cli(['memory', 'recent', '--json']), 'memory_read').records as RecordView[];
    assert.deepEqual(left.map((r) => [r.id, r.parent]), [[child.id, null]]);
    const audit = okJson(live.cli(['audit', 'recent', '--kind', 'memory_purged', '--json']), 'audit_recent');
    const row = (audit.events as Array<{ payload: Record<string, unknown> }>)[0]!.payload;
    assert.equal(row.purged, 1);
    assert.equal(row.parents_detached, 1);
    verifyClean(live);
  }),
);

liveTest('live_memory_compaction', () =>
  withHome(async (live) => {
    writeFileSync(
      join(live.home, 'config.toml'),
      '[memory.retention.working]\nmax_count = 1\n\n[memory.retention.longterm]\nmax_count = 1\n',
    );
    const w1 = write(live, 'old working', '--tier', 'working');
    write(live, 'new working', '--tier', 'working');
    const l1 = write(live, 'old long-term', '--tier', 'longterm');
    write(live, 'new long-term', '--tier', 'longterm');
    errorJson(live.cli(['memory', 'compact', '--reason', 'weekly', '--json']), 'E_CAPABILITY_MISSING');
    okJson(live.cli(['capabilities', 'grant', 'memory.compact.*', '--json']), 'capability_granted');
    assert.equal(live.cli(['memory', 'compact', '--json']).code, 2, '--reason is required');

    const dry = okJson(live.cli(['memory', 'compact', '--reason', 'weekly', '--json']), 'memory_compacted');
    assert.deepEqual(dry.outcome, { mode: 'dry_run', would_change: 2, changed: 0, deleted: 1, stale_marked: 1, parents_detached: 0 });
    const human = live.cli(['memory', 'compact', '--reason', 'weekly']);
    assert.match(human.stdout, /^dry run: would change 2 records/);

    const applied = okJson(live.cli(['memory', 'compact', '--reason', 'weekly', '--apply', '--json']), 'memory_compacted');
    assert.deepEqual(applied.outcome, { mode: 'apply', would_change: 2, changed: 2, deleted: 1, stale_marked: 1, parents_detached: 0 });
    const records = okJson(live.cli(['memory', 'recent', '-n', '100', '--json']), 'memory_read').records as RecordView[];
    assert.ok(!records.some((r) => r.id === w1.id));
    assert.equal(records.find((r) => r.id === l1.id)?.stale, true, 'long-term records are marked stale, never deleted');
    const staleLine = live.cli(['memory', 'recent', '--tier', 'longterm']).stdout;
    assert.match(staleLine, new RegExp(`${l1.id} \\[longterm, stale\\] old long-term`));
    verifyClean(live);

    writeFileSync(join(live.home, 'config.toml'), '[memory.retention.working]\nmax_cont = 1\n');
    const bad = errorJson(live.cli(['memory', 'compact', '--reason', 'weekly', '--apply', '--json']), 'E_BAD_REQUEST');
    assert.match(String(bad.message), /memory\.retention\.working\.max_cont: unknown key/);
  }),
);
