#!/usr/bin/env node
// Runs the deterministic suite (`unit`) or the live suite (`live [name-pattern]`) with node's
// test runner. Node 20's --test takes no globs, so the files are listed here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const [suite = 'unit', ...rest] = process.argv.slice(2);

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
const files = suite === 'live' ? live : all.filter((p) => !live.includes(p));
const args = ['--import', 'tsx', '--test', '--test-concurrency=2'];
const env = { ...process.env };
if (suite === 'live') {
  env.COVENANT_LIVE = '1';
  for (const pattern of rest.filter((a) => !a.startsWith('-'))) args.push(`--test-name-pattern=${pattern}`);
}
const result = spawnSync(process.execPath, [...args, ...files], { cwd: root, env, stdio: 'inherit' });
process.exit(result.status ?? 1);
