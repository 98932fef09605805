#!/usr/bin/env node
// Validates live-coverage.json against the repository (SPEC section 17).
// Usage: node scripts/validate-live-coverage.mjs [--root DIR] [--write-docs]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const TOOL = 'validate-live-coverage';
const COVERAGE_FILE = 'live-coverage.json';
const DOCS_FILE = 'docs/live-coverage.md';
const LIVE_DIR = 'test/live';
const BEGIN_MARKER = '<!-- live-coverage:begin -->';
const END_MARKER = '<!-- live-coverage:end -->';
const NO_LIVE_TESTS = '—';
const TABLE_HEADER = '| id | name | status | live tests | next gap |';
const TABLE_RULE = '|---|---|---|---|---|';

export const SURFACE_IDS = [
  'daemon-ipc-core',
  'state-verifier',
  'memory-retention',
  'http-gateway',
  'cli-capabilities',
  'cli-audit',
  'ignore-policy',
  'peer-auth',
  'peer-listing',
  'a2a-mailbox',
  'mcp-subprocess',
  'runtime-agent-subprocess',
  'runtime-linux-gvisor',
  'budget-enforcement',
  'settlement-receipts',
  'local-model',
];
export const STATUSES = ['covered', 'mock_only', 'external_service', 'planned'];
const STATUSES_NEEDING_LIVE = ['covered', 'external_service'];
const STATUSES_WITHOUT_LIVE = ['mock_only', 'planned'];

// A test call is `test(`, `it(` or `liveTest(` (optionally `.skip`/`.only`/`.todo`) whose first
// argument is a string literal. The lookbehind keeps `regex.test('x')` or `submit(` from matching.
const TEST_CALL = /(?<![\w$.])(test|it|liveTest)(?:\.(?:skip|only|todo))?\s*\(\s*(['"`])((?:\\.|(?!\2)[^\\])*)\2/g;
const LIVE_TEST_HELPER_CALL = /(?<![\w$.])liveTest\s*\(/;
const LIVE_FILE_PATH = /^test\/live\/live_[^/]+\.test\.ts$/;
const LIVE_FILE_NAME = /^live_.+\.test\.ts$/;

/** Every string-literal-named test call in a source text: [{callee, name}]. */
export function findTestCalls(source) {
  return [...source.matchAll(TEST_CALL)].map((m) => ({ callee: m[1], name: m[3] }));
}

class Problem extends Error {}

function fail(message) {
  throw new Problem(message);
}

function parseArgs(argv) {
  const options = { root: defaultRoot(), writeDocs: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--write-docs') options.writeDocs = true;
    else if (arg === '--root' && argv[i + 1] !== undefined) options.root = path.resolve(argv[++i]);
    else if (arg.startsWith('--root=')) options.root = path.resolve(arg.slice('--root='.length));
    else return { usageError: `unknown or incomplete argument "${arg}"` };
  }
  return options;
}

function defaultRoot() {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
}

function loadCoverage(root) {
  const file = path.join(root, COVERAGE_FILE);
  if (!fs.existsSync(file)) fail(`${COVERAGE_FILE} not found in ${root}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    return fail(`${COVERAGE_FILE} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
}

// ---- structural checks (also required before --write-docs can render the table) ----

function checkVersion(doc) {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    fail(`${COVERAGE_FILE} must hold a JSON object {version, surfaces}`);
  }
  if (doc.version !== 1) fail(`version must be 1, found ${JSON.stringify(doc.version)}`);
}

function checkSurfacesArray(doc) {
  if (!Array.isArray(doc.surfaces)) fail('surfaces must be an array of surface objects');
  doc.surfaces.forEach((s, i) => {
    if (s === null || typeof s !== 'object' || Array.isArray(s)) {
      fail(`surfaces[${i}] must be an object {id, name, status, mockTests, liveTests, nextGap}`);
    }
    if (typeof s.id !== 'string' || s.id === '') fail(`surfaces[${i}] has no string id`);
  });
}

function checkUniqueIds(doc) {
  const seen = new Set();
  for (const { id } of doc.surfaces) {
    if (seen.has(id)) fail(`duplicate surface id "${id}": each surface must appear once`);
    seen.add(id);
  }
}

function checkKnownIds(doc) {
  const ids = new Set(doc.surfaces.map((s) => s.id));
  for (const id of ids) {
    if (!SURFACE_IDS.includes(id)) {
      fail(`unknown surface id "${id}": use one of the 16 SPEC section 17 ids (${SURFACE_IDS.join(', ')})`);
    }
  }
  for (const id of SURFACE_IDS) {
    if (!ids.has(id)) fail(`surface "${id}" is missing: every SPEC section 17 surface needs an entry`);
  }
}

function checkStatuses(doc) {
  for (const s of doc.surfaces) {
    if (!STATUSES.includes(s.status)) {
      fail(`surface "${s.id}" has unknown status ${JSON.stringify(s.status)}: use one of ${STATUSES.join(', ')}`);
    }
  }
}

function checkFieldShapes(doc) {
  for (const s of doc.surfaces) {
    for (const field of ['name', 'nextGap']) {
      if (typeof s[field] !== 'string' || s[field].trim() === '') {
        fail(`surface "${s.id}" needs a non-empty string "${field}"`);
      }
    }
    for (const field of ['mockTests', 'liveTests']) {
      if (!Array.isArray(s[field]) || s[field].some((p) => typeof p !== 'string')) {
        fail(`surface "${s.id}" field "${field}" must be an array of paths (use [] when there are none)`);
      }
    }
  }
}

const STRUCTURE_CHECKS = [checkVersion, checkSurfacesArray, checkUniqueIds, checkKnownIds, checkStatuses, checkFieldShapes];

// ---- repository checks ----

function isRelativeInsideRoot(p) {
  if (p === '' || p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p)) return false;
  return !p.split(/[\\/]/).includes('..');
}

function checkPaths(doc, root) {
  for (const s of doc.surfaces) {
    for (const field of ['mockTests', 'liveTests']) {
      for (const p of s[field]) {
        if (!isRelativeInsideRoot(p)) {
          fail(`surface "${s.id}" ${field} path "${p}" must be relative to the repo root (no leading /, no ..)`);
        }
        if (!fs.existsSync(path.join(root, p))) {
          fail(`surface "${s.id}" ${field} path "${p}" does not exist: create it or remove it from ${COVERAGE_FILE}`);
        }
      }
    }
  }
}

function checkLiveFile(surfaceId, p, root) {
  if (!LIVE_FILE_PATH.test(p)) {
    fail(`surface "${surfaceId}" live test "${p}" must be named test/live/live_<name>.test.ts`);
  }
  const source = fs.readFileSync(path.join(root, p), 'utf8');
  const liveCalls = findTestCalls(source).filter((c) => c.name.startsWith('live_'));
  if (liveCalls.length === 0) {
    fail(`live test file "${p}" defines no test named live_...: name its tests live_<what_it_proves>`);
  }
  const mentionsEnv = source.includes('COVENANT_LIVE');
  if (!mentionsEnv && !LIVE_TEST_HELPER_CALL.test(source)) {
    fail(`live test file "${p}" is not gated on COVENANT_LIVE: use liveTest() from test/live/harness.ts`);
  }
  const ungated = liveCalls.find((c) => c.callee !== 'liveTest');
  if (ungated && !mentionsEnv) {
    fail(`live test "${ungated.name}" in "${p}" uses ${ungated.callee}() without a COVENANT_LIVE gate: use liveTest() from test/live/harness.ts`);
  }
}

function checkLiveFiles(doc, root) {
  for (const s of doc.surfaces) {
    for (const p of s.liveTests) checkLiveFile(s.id, p, root);
  }
}

function checkStatusMatchesTests(doc) {
  for (const s of doc.surfaces) {
    if (STATUSES_NEEDING_LIVE.includes(s.status) && s.liveTests.length === 0) {
      fail(`surface "${s.id}" is ${s.status} but lists no live test: add one to liveTests or set status to mock_only/planned`);
    }
    if (STATUSES_WITHOUT_LIVE.includes(s.status) && s.liveTests.length > 0) {
      fail(`surface "${s.id}" is ${s.status} but lists live tests: set status to covered or external_service`);
    }
    if (s.status === 'mock_only' && s.mockTests.length === 0) {
      fail(`surface "${s.id}" is mock_only but lists no mock test: add one to mockTests or set status to planned`);
    }
  }
}

function liveFilesOnDisk(root) {
  const dir = path.join(root, LIVE_DIR);
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isFile() && LIVE_FILE_NAME.test(e.name))
    .map((e) => `${LIVE_DIR}/${e.name}`)
    .sort();
}

function checkNoStrayLiveFiles(doc, root) {
  const listed = new Set(doc.surfaces.flatMap((s) => s.liveTests));
  for (const file of liveFilesOnDisk(root)) {
    if (!listed.has(file)) {
      fail(`live test file "${file}" belongs to no surface: add it to a surface's liveTests in ${COVERAGE_FILE}`);
    }
  }
}

// ---- docs table ----

function escapeCell(text) {
  return String(text).replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function liveBasenames(surface) {
  return surface.liveTests.map((p) => path.posix.basename(p.replace(/\\/g, '/')));
}

export function renderTable(doc) {
  const rows = doc.surfaces.map((s) => {
    const live = liveBasenames(s);
    const cells = [s.id, s.name, s.status, live.length ? live.join(', ') : NO_LIVE_TESTS, s.nextGap];
    return `| ${cells.map(escapeCell).join(' | ')} |`;
  });
  return [TABLE_HEADER, TABLE_RULE, ...rows].join('\n');
}

function findMarkers(lines) {
  const begin = lines.findIndex((l) => l.trim() === BEGIN_MARKER);
  const end = lines.findIndex((l, i) => i > begin && l.trim() === END_MARKER);
  return { begin, end };
}

function splitRow(line) {
  const inner = line.trim().replace(/^\|/, '').replace(/(?<!\\)\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

function parseLiveCell(cell) {
  const text = cell.replace(/`/g, '').trim();
  if (text === '' || text === NO_LIVE_TESTS || text === '-') return [];
  return text.split(',').map((t) => t.trim()).filter(Boolean);
}

function parseDocsTable(text) {
  const lines = text.split(/\r?\n/);
  const { begin, end } = findMarkers(lines);
  if (begin === -1 || end === -1) return null;
  return lines
    .slice(begin + 1, end)
    .filter((l) => l.trim().startsWith('|'))
    .map(splitRow)
    .filter((cells) => cells[0] !== 'id' && !cells.every((c) => /^:?-+:?$/.test(c)))
    .map((cells) => ({ id: cells[0], status: cells[2], live: parseLiveCell(cells[3] ?? '') }));
}

const REGENERATE_HINT = `run \`node scripts/${TOOL}.mjs --write-docs\``;

function sameSet(a, b) {
  const sa = new Set(a);
  return sa.size === new Set(b).size && [...sa].every((x) => b.includes(x));
}

function checkDocs(doc, root) {
  const file = path.join(root, DOCS_FILE);
  if (!fs.existsSync(file)) fail(`${DOCS_FILE} is missing: ${REGENERATE_HINT}`);
  const rows = parseDocsTable(fs.readFileSync(file, 'utf8'));
  if (rows === null) fail(`${DOCS_FILE} has no ${BEGIN_MARKER} ... ${END_MARKER} table: ${REGENERATE_HINT}`);
  for (const s of doc.surfaces) {
    const row = rows.find((r) => r.id === s.id);
    const where = `${DOCS_FILE} is out of sync for surface "${s.id}"`;
    if (!row) fail(`${where}: no table row; ${REGENERATE_HINT}`);
    if (row.status !== s.status) fail(`${where}: status "${row.status}" vs "${s.status}" in ${COVERAGE_FILE}; ${REGENERATE_HINT}`);
    if (!sameSet(row.live, liveBasenames(s))) fail(`${where}: live tests differ from ${COVERAGE_FILE}; ${REGENERATE_HINT}`);
  }
  const extra = rows.find((r) => !doc.surfaces.some((s) => s.id === r.id));
  if (extra) fail(`${DOCS_FILE} has a row for "${extra.id}", which is not in ${COVERAGE_FILE}; ${REGENERATE_HINT}`);
}

function writeDocs(doc, root) {
  const file = path.join(root, DOCS_FILE);
  const block = [BEGIN_MARKER, renderTable(doc), END_MARKER];
  let lines = fs.existsSync(file) ? fs.readFileSync(file, 'utf8').split('\n') : ['# Live coverage', ''];
  const { begin, end } = findMarkers(lines);
  if (begin !== -1 && end !== -1) {
    lines.splice(begin, end - begin + 1, ...block);
  } else {
    if (lines.at(-1) === '') lines.pop();
    lines = [...lines, '', '## Matrix', '', ...block, ''];
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, lines.join('\n'));
}

// ---- main ----

const REPOSITORY_CHECKS = [checkPaths, checkLiveFiles, checkStatusMatchesTests, checkNoStrayLiveFiles, checkDocs];

function validate(doc, root) {
  for (const check of [...STRUCTURE_CHECKS, ...REPOSITORY_CHECKS]) check(doc, root);
}

function summary(doc) {
  const liveFiles = new Set(doc.surfaces.flatMap((s) => s.liveTests));
  const mockOnly = doc.surfaces.filter((s) => s.status === 'mock_only').length;
  return `${TOOL}: ok (${doc.surfaces.length} surfaces, ${liveFiles.size} live test files, ${mockOnly} mock-only surfaces)`;
}

function main(argv) {
  const options = parseArgs(argv);
  if (options.usageError) {
    process.stderr.write(`${TOOL}: ${options.usageError}\nusage: node scripts/${TOOL}.mjs [--root DIR] [--write-docs]\n`);
    return 2;
  }
  try {
    const doc = loadCoverage(options.root);
    if (options.writeDocs) {
      // Only the structure is needed to render; missing test files must not block the table.
      for (const check of STRUCTURE_CHECKS) check(doc);
      writeDocs(doc, options.root);
      process.stdout.write(`${TOOL}: wrote the table in ${DOCS_FILE} (${doc.surfaces.length} surfaces)\n`);
    }
    validate(doc, options.root);
    process.stdout.write(`${summary(doc)}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof Problem)) throw err;
    process.stderr.write(`${TOOL}: ${err.message}\n`);
    return 1;
  }
}

function isEntryPoint() {
  if (!process.argv[1] || !fs.existsSync(process.argv[1])) return false;
  const entry = fs.realpathSync(process.argv[1]);
  return import.meta.url === pathToFileURL(entry).href;
}

// test-stats.mjs imports findTestCalls from here, so only run when executed directly.
if (isEntryPoint()) process.exitCode = main(process.argv.slice(2));
