// `covenant intent` prints the answer then its sources (issue 13 item 5, README demo): each
// source's record id and where the record came from (an imported file's path), through the real
// CLI against the in-process daemon with the research agent and no model configured.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { runCliAsync } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';
import { REFERENCE_AGENTS, startRuntimeDaemon, type RuntimeDaemon } from './helpers.js';

let t: RuntimeDaemon;
let env: NodeJS.ProcessEnv;
let files: { dir: string; cleanup: () => void };
before(async () => {
  t = await startRuntimeDaemon();
  env = { PATH: process.env.PATH, HOME: t.home, COVENANT_HOME: t.home };
  files = tempDir('covenant-sources-');
  await t.install(join(REFERENCE_AGENTS, 'research'));
});
after(async () => {
  await t.stop();
  files.cleanup();
});

const cli = (...args: string[]) => runCliAsync(args, env);

test('the human answer lists its sources with their paths; --json carries them as source_refs', async () => {
  const root = join(files.dir, 'docs');
  mkdirSync(root);
  writeFileSync(join(root, 'audit.md'), '# Audit\n\nThe audit log is a hash chain: each row hashes the one before it, so a changed row breaks the chain.\n');
  writeFileSync(join(root, 'lighthouse.txt'), 'A lighthouse keeper trims the wick at dusk.');
  assert.equal((await cli('memory', 'import', root, '--json')).code, 0);
  const note = await cli('memory', 'write', 'the hash chain of the audit log is checked by covenant audit verify', '--json');
  const noteId = (note.json!.record as { id: string }).id;

  const human = await cli('intent', '--agent', 'research', 'what does the hash chain of the audit log protect against');
  assert.equal(human.code, 0, human.stderr);
  const [answer, sources] = human.stdout.split('\n\nsources:\n');
  assert.match(answer!, /^research \(offline, no model configured\): the best passages of your memory:\n\[1\] /);
  const lines = sources!.trimEnd().split('\n');
  assert.ok(lines.length >= 2, human.stdout);
  assert.ok(lines.every((line, i) => line.startsWith(`  [${i + 1}] `)), human.stdout);
  // An imported record's source is its path as `memory import` recorded it.
  assert.ok(lines.some((line) => /^ {2}\[\d\] [0-9a-f-]{36} {2}docs\/audit\.md$/.test(line)), human.stdout);
  assert.ok(lines.some((line) => line.endsWith(`${noteId}  memory_write`)), human.stdout);

  const json = await cli('intent', '--agent', 'research', '--json', 'what does the hash chain of the audit log protect against');
  const reply = json.json as { sources: string[]; source_refs: Array<{ id: string; source: string | null }> };
  assert.deepEqual(reply.source_refs.map((r) => r.id), reply.sources);
  assert.ok(reply.source_refs.some((r) => r.source === 'docs/audit.md'));
});

test('an answer without sources prints the text alone', async () => {
  const hello = await t.install(join(REFERENCE_AGENTS, 'hello'));
  assert.equal(hello.kind, 'agent_installed');
  const human = await cli('intent', '--agent', 'hello', 'good morning');
  assert.equal(human.code, 0, human.stderr);
  assert.equal(human.stdout, 'hello from covenant: good morning\n');
});
