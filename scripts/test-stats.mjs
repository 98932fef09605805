#!/usr/bin/env node
// Counts mock and live tests under test/ (SPEC section 17).
// Usage: node scripts/test-stats.mjs [--root DIR] [--json]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { findTestCalls } from './validate-live-coverage.mjs';

const TOOL = 'test-stats';
const TEST_FILE = /\.test\.ts$/;
const LIVE_PREFIX = 'test/live/';

function parseArgs(argv) {
  const options = { root: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..'), json: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--json') options.json = true;
    else if (arg === '--root' && argv[i + 1] !== undefined) options.root = path.resolve(argv[++i]);
    else if (arg.startsWith('--root=')) options.root = path.resolve(arg.slice('--root='.length));
    else return { usageError: `unknown or incomplete argument "${arg}"` };
  }
  return options;
}

/** Repo-relative posix paths of every *.test.ts under dir, sorted for stable output. */
function walkTestFiles(root, dir) {
  const abs = path.join(root, dir);
  if (!fs.existsSync(abs)) return [];
  const found = [];
  for (const entry of fs.readdirSync(abs, { withFileTypes: true })) {
    const rel = `${dir}/${entry.name}`;
    if (entry.isDirectory() && entry.name !== 'node_modules') found.push(...walkTestFiles(root, rel));
    else if (entry.isFile() && TEST_FILE.test(entry.name)) found.push(rel);
  }
  return found.sort();
}

function collectStats(root) {
  let mock = 0;
  const liveTests = [];
  for (const file of walkTestFiles(root, 'test')) {
    const names = findTestCalls(fs.readFileSync(path.join(root, file), 'utf8')).map((c) => c.name);
    if (file.startsWith(LIVE_PREFIX)) liveTests.push(...names);
    else mock += names.length;
  }
  const live = liveTests.length;
  const total = mock + live;
  const liveShare = total === 0 ? 0 : Math.round((live / total) * 1000) / 10;
  return { kind: 'test_stats', total, mock, live, live_share: liveShare, live_tests: liveTests };
}

function formatText(stats) {
  return [
    `total: ${stats.total}`,
    `mock: ${stats.mock}`,
    `live: ${stats.live}`,
    `live share: ${stats.live_share.toFixed(1)}%`,
    'live tests:',
    ...stats.live_tests,
  ].join('\n');
}

function main(argv) {
  const options = parseArgs(argv);
  if (options.usageError) {
    process.stderr.write(`${TOOL}: ${options.usageError}\nusage: node scripts/${TOOL}.mjs [--root DIR] [--json]\n`);
    return 2;
  }
  const stats = collectStats(options.root);
  process.stdout.write(`${options.json ? JSON.stringify(stats) : formatText(stats)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
