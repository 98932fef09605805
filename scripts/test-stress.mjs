#!/usr/bin/env node
// `npm run test:stress`: the unit suite and the live suite, each run three times in a row while
// two CPU hogs keep both cores busy. Prints each run's counts and duration; exits 1 if any run
// failed. The hogs are this script's own children, killed by pid at the end, on failure and on
// Ctrl-C.
//
// The live suite needs what .ci/run gives it: COVENANT_LIVE_GVISOR_ROOTFS when set is used as is;
// otherwise, when runsc is installed, a rootfs is built with scripts/make-rootfs.sh in a temp dir
// (removed at the end) and the gVisor tests are required (COVENANT_LIVE_REQUIRE), as in .ci/run.
// Without runsc the live tests that need it skip with their reason, as the live suite does.
//
// Usage: node scripts/test-stress.mjs [--runs N] [--hogs N] [--suites unit,live]
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TOOL = 'test-stress';
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, '.test-results');

function parseArgs(argv) {
  const options = { runs: 3, hogs: 2, suites: ['unit', 'live'] };
  for (let i = 0; i < argv.length; i++) {
    const [name, inline] = argv[i].split('=', 2);
    if (!['--runs', '--hogs', '--suites'].includes(name)) return { usageError: `unknown argument "${argv[i]}"` };
    const value = inline ?? argv[++i];
    if (name === '--runs' || name === '--hogs') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < (name === '--runs' ? 1 : 0)) return { usageError: `${name} needs a whole number` };
      options[name.slice(2)] = n;
    } else if (name === '--suites') {
      const suites = String(value ?? '').split(',').filter(Boolean);
      if (suites.length === 0 || suites.some((s) => s !== 'unit' && s !== 'live')) return { usageError: '--suites takes unit, live or unit,live' };
      options.suites = suites;
    }
  }
  return options;
}

const hogs = [];
/** Process group of the suite running now (its runner and every test process under it). */
let running = null;
/** Run once at the end, however the script ends. */
const cleanups = [];
function startHogs(count) {
  for (let i = 0; i < count; i++) {
    const hog = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
    hogs.push(hog.pid);
  }
}
function killHogs() {
  for (const pid of hogs.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
function cleanUp() {
  killHogs();
  for (const cleanup of cleanups.splice(0)) cleanup();
}
process.on('exit', cleanUp);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    if (running !== null) {
      try {
        process.kill(-running, 'SIGTERM');
      } catch {
        // already gone
      }
    }
    cleanUp();
    process.exit(130);
  });
}

/** The environment of the live suite, and a cleanup for a rootfs built here. */
function liveEnvironment() {
  const env = {};
  if (process.env.COVENANT_LIVE_GVISOR_ROOTFS) {
    return { env, note: `gVisor rootfs: ${process.env.COVENANT_LIVE_GVISOR_ROOTFS} (COVENANT_LIVE_GVISOR_ROOTFS)`, cleanup: () => {} };
  }
  if (spawnSync('sh', ['-c', 'command -v runsc'], { stdio: 'ignore' }).status !== 0) {
    return { env, note: 'runsc is not installed: the gVisor live tests skip with their reason', cleanup: () => {} };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'covenant-stress-rootfs-'));
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const built = spawnSync('sh', [path.join(root, 'scripts', 'make-rootfs.sh'), path.join(dir, 'rootfs')], { encoding: 'utf8' });
  if (built.status !== 0) {
    cleanup();
    throw new Error(`scripts/make-rootfs.sh failed: ${built.stderr.trim()}`);
  }
  env.COVENANT_LIVE_GVISOR_ROOTFS = built.stdout.trim();
  env.COVENANT_LIVE_REQUIRE = process.env.COVENANT_LIVE_REQUIRE ?? 'runtime-linux-gvisor,runtime-agent-subprocess';
  return { env, note: `gVisor rootfs built in ${env.COVENANT_LIVE_GVISOR_ROOTFS} (as .ci/run does)`, cleanup };
}

/** One full run of a suite; its output goes to a log, its counts come from the runner's summary. */
function runSuite(suite, run, extraEnv) {
  const summaryFile = path.join(resultsDir, `${suite}.json`);
  fs.rmSync(summaryFile, { force: true });
  const log = path.join(resultsDir, 'stress', `${suite}-${run}.log`);
  fs.mkdirSync(path.dirname(log), { recursive: true });
  const out = fs.openSync(log, 'w');
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(root, 'scripts', 'run-tests.mjs'), suite], {
      cwd: root,
      env: { ...process.env, ...extraEnv },
      stdio: ['ignore', out, out],
      detached: true,
    });
    running = child.pid;
    child.once('exit', (code, signal) => {
      running = null;
      fs.closeSync(out);
      const seconds = (performance.now() - started) / 1000;
      let counts = null;
      try {
        counts = JSON.parse(fs.readFileSync(summaryFile, 'utf8')).counts;
      } catch {
        // no summary: the runner did not finish
      }
      const text = fs.readFileSync(log, 'utf8');
      const failed = [...text.matchAll(/^\s*not ok \d+ - (.*)$/gm)].map((m) => m[1]);
      resolve({ suite, run, code, signal, seconds, counts, failed, log });
    });
  });
}

function describe(r) {
  const c = r.counts;
  const counts = c === null ? 'no summary' : `tests ${c.tests}, pass ${c.pass}, fail ${c.fail}, skipped ${c.skipped}, cancelled ${c.cancelled}`;
  const ok = r.code === 0 && c !== null && c.fail === 0 && c.cancelled === 0;
  return { ok, line: `${r.suite} run ${r.run}: ${counts}, ${r.seconds.toFixed(1)} s, exit ${r.code ?? r.signal} — ${ok ? 'ok' : 'FAILED'}` };
}

async function main(argv) {
  const options = parseArgs(argv);
  if (options.usageError) {
    process.stderr.write(`${TOOL}: ${options.usageError}\nusage: node scripts/${TOOL}.mjs [--runs N] [--hogs N] [--suites unit,live]\n`);
    return 2;
  }
  const live = options.suites.includes('live') ? liveEnvironment() : { env: {}, note: null, cleanup: () => {} };
  cleanups.push(live.cleanup);
  const results = [];
  try {
    startHogs(options.hogs);
    process.stdout.write(`${TOOL}: ${options.runs} runs of ${options.suites.join(' + ')} with ${options.hogs} CPU hogs (pids ${hogs.join(', ') || 'none'}) on ${os.cpus().length} cores\n`);
    if (live.note) process.stdout.write(`${TOOL}: ${live.note}\n`);
    for (let run = 1; run <= options.runs; run++) {
      for (const suite of options.suites) {
        const r = await runSuite(suite, run, suite === 'live' ? live.env : {});
        const { ok, line } = describe(r);
        results.push({ ...r, ok });
        process.stdout.write(`${line}\n`);
        if (!ok) {
          for (const name of r.failed) process.stdout.write(`  not ok: ${name}\n`);
          process.stdout.write(`  log: ${path.relative(root, r.log)}\n`);
        }
      }
    }
  } finally {
    cleanUp();
  }
  const failed = results.filter((r) => !r.ok);
  process.stdout.write(`${TOOL}: ${results.length - failed.length} of ${results.length} runs green\n`);
  return failed.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    cleanUp();
    process.stderr.write(`${TOOL}: ${error.message}\n`);
    process.exitCode = 1;
  },
);
