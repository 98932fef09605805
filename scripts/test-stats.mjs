#!/usr/bin/env node
// Counts mock and live tests (SPEC section 17) as the test runner counted them: it reads the
// summaries that the last full `npm test` (unit) and `npm run test:live` (live) runs saved in
// .test-results/, so the numbers are the runner's own `tests N` lines (describe/it, loops and
// subtests included), never a count of `test(` in the source.
// Usage: node scripts/test-stats.mjs [--root DIR] [--json]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOL = 'test-stats';
const SUITES = { mock: { file: 'unit.json', command: 'npm test' }, live: { file: 'live.json', command: 'npm run test:live' } };

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

/** The saved summary of one suite, or a reason it cannot be used. */
function readSummary(root, { file, command }) {
  const abs = path.join(root, '.test-results', file);
  let summary;
  try {
    summary = JSON.parse(fs.readFileSync(abs, 'utf8'));
  } catch {
    return { problem: `no summary of the last full run in .test-results/${file}: run \`${command}\` first` };
  }
  if (!Number.isInteger(summary?.counts?.tests)) {
    return { problem: `.test-results/${file} has no "tests" count (the run did not finish): run \`${command}\` again` };
  }
  return { summary };
}

function collectStats(root) {
  const mock = readSummary(root, SUITES.mock);
  const live = readSummary(root, SUITES.live);
  const problems = [mock.problem, live.problem].filter(Boolean);
  if (problems.length > 0) return { problems };
  const total = mock.summary.counts.tests + live.summary.counts.tests;
  const liveShare = total === 0 ? 0 : Math.round((live.summary.counts.tests / total) * 1000) / 10;
  return {
    stats: {
      kind: 'test_stats',
      total,
      mock: mock.summary.counts.tests,
      live: live.summary.counts.tests,
      live_share: liveShare,
      live_tests: live.summary.tests,
    },
  };
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
  const { stats, problems } = collectStats(options.root);
  if (problems) {
    for (const problem of problems) process.stderr.write(`${TOOL}: ${problem}\n`);
    return 1;
  }
  process.stdout.write(`${options.json ? JSON.stringify(stats) : formatText(stats)}\n`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
