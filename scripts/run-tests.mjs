#!/usr/bin/env node
// Runs the deterministic suite (`unit`) or the live suite (`live [name-pattern]`) with node's
// test runner. Node 20's --test takes no globs, so the files are listed here.
// A full run (no name pattern) also saves the runner's summary in .test-results/<suite>.json
// (scripts/test-summary-reporter.mjs), which `npm run test:stats` and `npm run test:stress` read.
// Usage: node scripts/run-tests.mjs unit|live [name-pattern...] [--root DIR]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const project = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
let root = project;
const positional = [];
for (let i = 0; i < argv.length; i++) {
  const arg = argv[i] ?? '';
  const next = argv[i + 1];
  if (arg === '--root' && next !== undefined) {
    root = resolve(next);
    i++;
  } else if (arg.startsWith('--root=')) root = resolve(arg.slice('--root='.length));
  else positional.push(arg);
}
const [suite = 'unit', ...rest] = positional;

function testFiles(dir) {
  const found = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (name !== 'fixtures' && name !== 'node_modules') found.push(...testFiles(path));
    } else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const all = testFiles(join(root, 'test')).map((p) => relative(root, p)).sort();
const live = all.filter((p) => p.startsWith('test/live/'));
const files = (suite === 'live' ? live : all.filter((p) => !live.includes(p))).map((p) => join(root, p));
const args = ['--import', 'tsx', '--test', '--test-concurrency=2'];
const env = { ...process.env };
// Set when this runs inside another node:test run (the test of this script): not our parent.
delete env.NODE_TEST_CONTEXT;
const patterns = suite === 'live' ? rest.filter((a) => !a.startsWith('-')) : [];
if (suite === 'live') {
  env.COVENANT_LIVE = '1';
  for (const pattern of patterns) args.push(`--test-name-pattern=${pattern}`);
}
args.push('--test-reporter', process.stdout.isTTY ? 'spec' : 'tap', '--test-reporter-destination', 'stdout');
const resultsDir = join(root, '.test-results');
const summaryTmp = join(resultsDir, `${suite}.json.tmp-${process.pid}`);
if (patterns.length === 0) {
  mkdirSync(resultsDir, { recursive: true });
  args.push('--test-reporter', join(project, 'scripts', 'test-summary-reporter.mjs'), '--test-reporter-destination', summaryTmp);
}
// tsx is resolved from the project, wherever the test files are.
const result = spawnSync(process.execPath, [...args, ...files], { cwd: project, env, stdio: 'inherit' });
if (patterns.length === 0) {
  try {
    renameSync(summaryTmp, join(resultsDir, `${suite}.json`));
  } catch {
    rmSync(summaryTmp, { force: true });
  }
}
process.exit(result.status ?? 1);
