import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SURFACE_IDS } from '../../scripts/validate-live-coverage.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const VALIDATOR = path.join(REPO, 'scripts/validate-live-coverage.mjs');

interface Surface {
  id: string;
  name: string;
  status: string;
  mockTests: string[];
  liveTests: string[];
  nextGap: string;
}

interface Coverage {
  version: number;
  surfaces: Surface[];
}

const IPC_LIVE = 'test/live/live_daemon_ipc.test.ts';
const GVISOR_LIVE = 'test/live/live_gvisor.test.ts';

// Fixture test calls are assembled at run time so that this file's own source does not
// contain them: the live-coverage validator scans test sources for test calls.
function call(callee: string, name: string, quote = "'", options = ''): string {
  return `${callee}(${quote}${name}${quote}, ${options}async () => {});\n`;
}

const IMPORT_LIVE_TEST = `import { liveTest } from './harness.js';\n`;

const FILES: Record<string, string> = {
  'test/daemon/ipc-server.test.ts': call('test', 'frames round-trip') + call('it', 'refuses big frames'),
  'test/audit/audit-chain.test.ts': call('test', 'chain verifies', '"'),
  [IPC_LIVE]:
    IMPORT_LIVE_TEST +
    call('liveTest', 'live_cli_version_reads_protocol_info_without_token') +
    call('liveTest', 'live_ping_answers_pong', '"'),
  [GVISOR_LIVE]:
    `import { test } from 'node:test';\n` +
    `const skip = process.env.COVENANT_LIVE === '1' ? false : 'set COVENANT_LIVE=1';\n` +
    call('test', 'live_gvisor_runner_dispatches_with_runsc', '`', '{ skip }, '),
};

function baseCoverage(): Coverage {
  return {
    version: 1,
    surfaces: SURFACE_IDS.map((id) => ({
      id,
      name: `Surface ${id}`,
      status: 'planned',
      mockTests: [],
      liveTests: [],
      nextGap: `Needs a live test for ${id}.`,
    })),
  };
}

function validCoverage(): Coverage {
  const cov = baseCoverage();
  Object.assign(surface(cov, 'daemon-ipc-core'), {
    status: 'covered',
    mockTests: ['test/daemon/ipc-server.test.ts'],
    liveTests: [IPC_LIVE],
  });
  Object.assign(surface(cov, 'cli-audit'), { status: 'mock_only', mockTests: ['test/audit/audit-chain.test.ts'] });
  Object.assign(surface(cov, 'runtime-linux-gvisor'), { status: 'external_service', liveTests: [GVISOR_LIVE] });
  return cov;
}

function surface(cov: Coverage, id: string): Surface {
  const found = cov.surfaces.find((s) => s.id === id);
  assert.ok(found, `fixture has no surface ${id}`);
  return found;
}

// Written by hand from the documented format, independently of --write-docs.
function docsFor(cov: Coverage): string {
  const rows = cov.surfaces.map((s) => {
    const live = s.liveTests.map((p) => path.basename(p)).join(', ') || '—';
    return `| ${s.id} | ${s.name} | ${s.status} | ${live} | ${s.nextGap} |`;
  });
  return [
    '# Live coverage',
    '',
    'Prose that --write-docs must keep.',
    '',
    '<!-- live-coverage:begin -->',
    '| id | name | status | live tests | next gap |',
    '|---|---|---|---|---|',
    ...rows,
    '<!-- live-coverage:end -->',
    '',
    'Trailing prose.',
    '',
  ].join('\n');
}

const roots: string[] = [];

afterEach(() => {
  while (roots.length > 0) fs.rmSync(roots.pop()!, { recursive: true, force: true });
});

function writeFile(root: string, rel: string, text: string): void {
  const file = path.join(root, rel);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** A fixture repo that validates; `edit` may change coverage, files or docs before writing. */
function makeFixture(edit?: (f: { cov: Coverage; files: Record<string, string>; docs?: string }) => void): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'covenant-live-coverage-'));
  roots.push(root);
  const fixture: { cov: Coverage; files: Record<string, string>; docs?: string } = {
    cov: validCoverage(),
    files: { ...FILES },
  };
  edit?.(fixture);
  writeFile(root, 'live-coverage.json', JSON.stringify(fixture.cov, null, 2));
  for (const [rel, text] of Object.entries(fixture.files)) writeFile(root, rel, text);
  writeFile(root, 'docs/live-coverage.md', fixture.docs ?? docsFor(fixture.cov));
  return root;
}

function run(script: string, root: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [script, '--root', root, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function assertProblem(root: string, ...fragments: string[]): void {
  const r = run(VALIDATOR, root);
  assert.equal(r.code, 1, `expected exit 1, got ${r.code}; stdout=${r.stdout} stderr=${r.stderr}`);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^validate-live-coverage: /);
  for (const fragment of fragments) assert.ok(r.stderr.includes(fragment), `stderr lacks "${fragment}": ${r.stderr}`);
}

test('a valid fixture prints the ok line with the counts', () => {
  const r = run(VALIDATOR, makeFixture());
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 'validate-live-coverage: ok (16 surfaces, 2 live test files, 1 mock-only surfaces)\n');
  assert.equal(r.stderr, '');
});

test('a duplicate surface id is reported', () => {
  const root = makeFixture(({ cov }) => {
    surface(cov, 'state-verifier').id = 'daemon-ipc-core';
  });
  assertProblem(root, 'duplicate surface id "daemon-ipc-core"');
});

test('a surface missing from the 16 ids is reported', () => {
  const root = makeFixture(({ cov }) => {
    cov.surfaces = cov.surfaces.filter((s) => s.id !== 'local-model');
  });
  assertProblem(root, 'surface "local-model" is missing');
});

test('an unknown status is reported with the surface', () => {
  const root = makeFixture(({ cov }) => {
    surface(cov, 'peer-auth').status = 'done';
  });
  assertProblem(root, 'surface "peer-auth" has unknown status "done"');
});

test('a missing test path is reported', () => {
  const root = makeFixture(({ cov }) => {
    surface(cov, 'cli-audit').mockTests.push('test/audit/missing.test.ts');
  });
  assertProblem(root, 'surface "cli-audit"', '"test/audit/missing.test.ts" does not exist');
});

test('a path escaping the root is reported', () => {
  const root = makeFixture(({ cov }) => {
    surface(cov, 'cli-audit').mockTests.push('../outside.test.ts');
  });
  assertProblem(root, '"../outside.test.ts" must be relative');
});

test('a live file without a live_ test is reported', () => {
  const root = makeFixture(({ files }) => {
    files[IPC_LIVE] = IMPORT_LIVE_TEST + call('liveTest', 'ping answers');
  });
  assertProblem(root, `"${IPC_LIVE}" defines no test named live_`);
});

test('a live file not gated on COVENANT_LIVE is reported', () => {
  const root = makeFixture(({ files }) => {
    files[IPC_LIVE] = `import { test } from 'node:test';\n` + call('test', 'live_ping_answers_pong');
  });
  assertProblem(root, `"${IPC_LIVE}" is not gated on COVENANT_LIVE`);
});

test('a plain test() named live_ next to liveTest() still needs COVENANT_LIVE', () => {
  const root = makeFixture(({ files }) => {
    files[IPC_LIVE] += call('test', 'live_sneaks_past_the_gate');
  });
  assertProblem(root, 'live test "live_sneaks_past_the_gate"', 'without a COVENANT_LIVE gate');
});

test('a covered surface without a live file is reported', () => {
  const root = makeFixture(({ cov }) => {
    surface(cov, 'cli-audit').status = 'covered';
  });
  assertProblem(root, 'surface "cli-audit" is covered but lists no live test');
});

test('a live file that belongs to no surface is reported', () => {
  const root = makeFixture(({ files }) => {
    files['test/live/live_stray.test.ts'] = IMPORT_LIVE_TEST + call('liveTest', 'live_stray');
  });
  assertProblem(root, '"test/live/live_stray.test.ts" belongs to no surface');
});

function outOfSyncFixture(): string {
  return makeFixture((f) => {
    const stale = validCoverage();
    surface(stale, 'cli-audit').status = 'planned';
    f.docs = docsFor(stale);
  });
}

test('a docs table out of sync with the JSON names the surface', () => {
  assertProblem(outOfSyncFixture(), 'out of sync for surface "cli-audit"', '--write-docs');
});

test('a docs table listing different live files is reported', () => {
  const root = makeFixture((f) => {
    const stale = validCoverage();
    surface(stale, 'daemon-ipc-core').liveTests = ['test/live/live_other.test.ts'];
    f.docs = docsFor(stale);
  });
  assertProblem(root, 'out of sync for surface "daemon-ipc-core"', 'live tests differ');
});

test('--write-docs regenerates an out-of-sync table and keeps the prose', () => {
  const root = outOfSyncFixture();
  const r = run(VALIDATOR, root, '--write-docs');
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /validate-live-coverage: ok \(16 surfaces, 2 live test files, 1 mock-only surfaces\)\n$/);
  const docs = fs.readFileSync(path.join(root, 'docs/live-coverage.md'), 'utf8');
  assert.ok(docs.includes('Prose that --write-docs must keep.'));
  assert.ok(docs.includes('Trailing prose.'));
  assert.ok(docs.includes('| cli-audit | Surface cli-audit | mock_only | — |'));
  assert.equal(run(VALIDATOR, root).code, 0);
});

test('--write-docs writes the table even when a listed path is missing', () => {
  const root = makeFixture((f) => {
    surface(f.cov, 'peer-auth').status = 'covered';
    surface(f.cov, 'peer-auth').liveTests = ['test/live/live_peer_auth.test.ts'];
    f.docs = docsFor(validCoverage());
  });
  const r = run(VALIDATOR, root, '--write-docs');
  assert.equal(r.code, 1);
  assert.ok(r.stderr.includes('"test/live/live_peer_auth.test.ts" does not exist'), r.stderr);
  const docs = fs.readFileSync(path.join(root, 'docs/live-coverage.md'), 'utf8');
  assert.ok(docs.includes('| peer-auth | Surface peer-auth | covered | live_peer_auth.test.ts |'), docs);
});
