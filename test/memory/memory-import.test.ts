// `covenant memory import` (SPEC 3) and `memory search` through the real CLI against the
// in-process daemon: JSON answers, exit codes, records with their sources, idempotent re-import,
// receipts and audit rows, refusals.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { chunkText, CHUNK_CHARS } from '../../src/memory/index.js';
import { runCliAsync } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';
import { memoryFixture, type MemoryFixture } from './helpers.js';

let f: MemoryFixture;
let env: NodeJS.ProcessEnv;
let files: { dir: string; cleanup: () => void };
before(async () => {
  f = await memoryFixture();
  env = { PATH: process.env.PATH, HOME: f.t.home, COVENANT_HOME: f.t.home };
  files = tempDir('covenant-import-');
});
after(async () => {
  await f.stop();
  files.cleanup();
});

const cli = (...args: string[]) => runCliAsync(args, env);

test('memory search "audit logs" through the CLI ranks the hash-chain note first', async () => {
  for (const text of ['hello from covenant: hi', 'the audit log is a hash chain: each event hashes the one before it', 'hello again']) {
    assert.equal((await cli('memory', 'write', text, '--json')).code, 0);
  }
  const result = await cli('memory', 'search', 'audit logs', '--json');
  assert.equal(result.code, 0, result.stdout + result.stderr);
  const records = result.json!.records as Array<{ text: string; relevance: number; parts: { vector: number; lexical: number } }>;
  assert.match(records[0]!.text, /^the audit log is a hash chain/);
  const hello = records.findIndex((r) => r.text === 'hello from covenant: hi');
  assert.ok(hello === -1 || records[hello]!.relevance < records[0]!.relevance);
  const human = await cli('memory', 'search', 'audit logs');
  assert.match(human.stdout.split('\n')[0]!, /\[episodic\] \d\.\d{3} the audit log is a hash chain/);
});

test('memory import: .md and .txt files of a directory, chunked, with their path as source; re-import is a no-op', async () => {
  const root = join(files.dir, 'notes');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, '.hidden'));
  writeFileSync(join(root, 'guide.md'), '# Lighthouses\n\nA lighthouse keeper trims the wick at dusk.\n\n# Tides\n\nSpring tides follow the full moon.\n');
  writeFileSync(join(root, 'sub', 'plain.txt'), 'Quinces ripen in October.\r\n\r\nThey smell of honey.');
  writeFileSync(join(root, '.hidden', 'secret.md'), 'not imported');
  writeFileSync(join(root, 'image.png'), 'not text');
  const receiptsBefore = f.count('receipts', "resource = 'memory'");

  const first = await cli('memory', 'import', root, '--tier', 'longterm', '--json');
  assert.equal(first.code, 0, first.stdout + first.stderr);
  assert.equal(first.stderr, ''); // not a terminal: no progress line
  assert.deepEqual(first.json, { kind: 'memory_imported', files: 2, records: 3, skipped: 0 });
  const db = f.t.daemon.ctx.db;
  const rows = db
    .prepare("SELECT text, tier, metadata FROM memory_records WHERE json_extract(metadata, '$.import_key') IS NOT NULL ORDER BY rowid")
    .all() as Array<{ text: string; tier: string; metadata: string }>;
  const meta = (r: { metadata: string }) => JSON.parse(r.metadata) as { source: string; chunk: number };
  assert.deepEqual(
    rows.map((r) => [meta(r).source, meta(r).chunk, r.tier, r.text]),
    [
      ['notes/guide.md', 0, 'longterm', '# Lighthouses\n\nA lighthouse keeper trims the wick at dusk.'],
      ['notes/guide.md', 1, 'longterm', '# Tides\n\nSpring tides follow the full moon.'],
      ['notes/sub/plain.txt', 0, 'longterm', 'Quinces ripen in October.\n\nThey smell of honey.'],
    ],
  );
  // Each record is paid by its own memory receipt; one audit row for the request.
  assert.equal(f.count('receipts', "resource = 'memory'"), receiptsBefore + 3);
  const audit = f.auditRows('memory_imported');
  assert.equal(audit.length, 1);
  assert.equal(audit[0]!.records, 3);
  assert.equal(audit[0]!.files, 2);
  assert.ok(!JSON.stringify(audit[0]).includes('notes/'), 'no paths in the audit log');

  const again = await cli('memory', 'import', root, '--tier', 'longterm', '--json');
  assert.deepEqual(again.json, { kind: 'memory_imported', files: 2, records: 0, skipped: 2 });

  writeFileSync(join(root, 'sub', 'plain.txt'), 'Quinces ripen in November.');
  const changed = await cli('memory', 'import', root, '--tier', 'longterm');
  assert.equal(changed.code, 0);
  assert.equal(changed.stdout.trim(), 'imported 2 files: 1 records written, 1 files unchanged');

  const found = await cli('memory', 'search', 'when do spring tides come', '--tier', 'longterm', '--json');
  assert.match((found.json!.records as Array<{ text: string }>)[0]!.text, /Spring tides/);
});

test('memory import refusals: a missing path, a file over 2 MiB, no memory.write; nothing written', async () => {
  const before = f.snapshot();
  const missing = await cli('memory', 'import', join(files.dir, 'absent.md'), '--json');
  assert.equal(missing.code, 1);
  assert.equal(missing.json!.code, 'E_NOT_FOUND');
  const big = join(files.dir, 'big.txt');
  writeFileSync(big, 'x '.repeat(1_100_000));
  const tooBig = await cli('memory', 'import', big, '--json');
  assert.equal(tooBig.code, 1);
  assert.equal(tooBig.json!.code, 'E_BAD_REQUEST');
  assert.match(String(tooBig.json!.message), /limit is 2097152 \(2 MiB\): split it/);
  assert.equal(f.snapshot(), before);

  const { client } = await f.peer('importer');
  const refusal = await f.refused({ kind: 'memory_import', files: [{ source: 'a.md', text: 'hello' }] }, 'E_CAPABILITY_MISSING', client);
  assert.match(refusal, /memory\.write/);
  assert.equal(f.snapshot({ audit: false }), before.replace(/"memoryAudit":.*$/, '"memoryAudit":null}'));
});

test('chunking: paragraphs packed up to CHUNK_CHARS, markdown headings start chunks, long paragraphs cut in overlapping windows', () => {
  const para = (n: number) => `${'word '.repeat(n).trim()}.`;
  assert.deepEqual(chunkText('a\n\n\n b \n\n', false), ['a\n\nb']);
  assert.deepEqual(chunkText('# One\n\ntext\n\n## Two\n\nmore', true), ['# One\n\ntext', '## Two\n\nmore']);
  assert.deepEqual(chunkText('# One\n\ntext\n\n## Two\n\nmore', false), ['# One\n\ntext\n\n## Two\n\nmore']);
  const packed = chunkText([para(100), para(100), para(100)].join('\n\n'), false);
  assert.equal(packed.length, 2);
  assert.ok(packed.every((c) => c.length <= CHUNK_CHARS));
  const long = Array.from({ length: 600 }, (_, i) => `w${i}`).join(' ');
  const windows = chunkText(long, false);
  assert.ok(windows.length >= 3);
  assert.ok(windows.every((c) => c.length <= CHUNK_CHARS));
  // Consecutive windows overlap, and together they cover every word.
  for (let i = 1; i < windows.length; i += 1) assert.ok(windows[i - 1]!.endsWith(windows[i]!.split(' ').slice(0, 3).join(' ')) || windows[i - 1]!.includes(windows[i]!.split(' ')[0]!));
  const covered = new Set(windows.flatMap((c) => c.split(' ')));
  assert.equal(covered.size, 600);
});
