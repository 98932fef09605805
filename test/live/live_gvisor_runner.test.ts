/**
 * Live tests for the linux-gvisor runner: real agents under a real runsc.
 *
 * External service: gVisor (`runsc`, Debian package `runsc`) and a rootfs built with
 * `scripts/make-rootfs.sh`, given as COVENANT_LIVE_GVISOR_ROOTFS (or COVENANT_GVISOR_ROOTFS).
 * Needs Linux and root (runsc creates cgroups for the memory limit). See docs/gvisor-runner.md.
 *
 *   COVENANT_LIVE=1 COVENANT_LIVE_GVISOR_ROOTFS=/tmp/covenant-rootfs \
 *     node --import tsx --test test/live/live_gvisor_runner.test.ts
 *
 * Skipped unless COVENANT_LIVE=1. When runsc or the rootfs is missing the tests skip with a
 * reason naming what is missing, unless COVENANT_LIVE_REQUIRE lists runtime-linux-gvisor, in
 * which case they fail. These tests drive GvisorRunner directly with fixture agents from
 * test/runtime/gvisor/fixtures/agents.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GvisorRunner, checkGvisorReadiness } from '../../src/runtime/gvisor/index.js';
import type { AgentRunRequest, AgentRunResult } from '../../src/runtime/runner.js';
import { gvisorBundleDirs, runscContainers as containersUnder } from '../helpers/gvisor-state.js';
import { processesNaming } from '../helpers/proc.js';
import { startGvisorStandIn } from '../helpers/stand-in.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from '../runtime/process-state.js';

const SURFACE = 'runtime-linux-gvisor';
const LIVE = process.env.COVENANT_LIVE === '1';
const REQUIRED = (process.env.COVENANT_LIVE_REQUIRE ?? '')
  .split(',')
  .map((s) => s.trim())
  .includes(SURFACE);
const ROOTFS = process.env.COVENANT_LIVE_GVISOR_ROOTFS || process.env.COVENANT_GVISOR_ROOTFS || '';
const AGENTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../runtime/gvisor/fixtures/agents');

let missing: string | null = null;
let runscPath = 'runsc';
if (LIVE) {
  const readiness = await checkGvisorReadiness({ rootfs: ROOTFS });
  if (!readiness.runsc.found || readiness.runsc.version === null) {
    missing = 'runsc (gVisor) not installed: apt-get install runsc';
  } else if (ROOTFS === '') {
    missing = 'gVisor rootfs not configured: set COVENANT_LIVE_GVISOR_ROOTFS to a rootfs built with scripts/make-rootfs.sh';
  } else if (!readiness.rootfs.valid || !readiness.rootfs.node) {
    missing = `gVisor rootfs unusable (${readiness.rootfs.message}): build one with scripts/make-rootfs.sh ${ROOTFS}`;
  } else if (!readiness.kernel.ok) {
    missing = `host cannot run gVisor sandboxes: ${readiness.kernel.message}`;
  }
  if (readiness.runsc.path !== null) runscPath = readiness.runsc.path;
}
const skip: string | false = !LIVE
  ? 'set COVENANT_LIVE=1 to run live tests (needs runsc (gVisor) and a rootfs)'
  : missing !== null && !REQUIRED
    ? missing
    : false;

function requireGvisor(): void {
  if (missing !== null) assert.fail(`${SURFACE} is listed in COVENANT_LIVE_REQUIRE but ${missing}`);
}

const tmp = LIVE ? fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'covenant-live-gvisor-'))) : '';
after(() => {
  if (tmp !== '') fs.rmSync(tmp, { recursive: true, force: true });
});

let homes = 0;

/** A fresh COVENANT_HOME with one fixture agent installed at agents/<id>/. */
function setup(agentFile: string, warm = false): { home: string; stateRoot: string; packageDir: string; runner: GvisorRunner } {
  const home = path.join(tmp, `home-${++homes}`);
  const stateRoot = path.join(home, 'runtime', 'gvisor');
  const packageDir = path.join(home, 'agents', path.basename(agentFile, '.mjs'));
  fs.mkdirSync(packageDir, { recursive: true, mode: 0o755 });
  fs.copyFileSync(path.join(AGENTS, agentFile), path.join(packageDir, 'agent.mjs'));
  const runner = new GvisorRunner({ runscPath, rootfs: ROOTFS, stateRoot, covenantHome: home, graceMs: 500, warm });
  return { home, stateRoot, packageDir, runner };
}

function request(packageDir: string, text: string, overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  return {
    agentId: path.basename(packageDir),
    packageDir,
    runtime: 'node',
    entry: 'agent.mjs',
    intent: { intent_id: `live-${Date.now()}`, text },
    timeoutMs: 30_000,
    memoryMb: 256,
    ...overrides,
  };
}

/** Containers runsc still knows about under this state root. */
const runscContainers = (stateRoot: string) => containersUnder(runscPath, stateRoot);

function answerOf(result: AgentRunResult): string {
  assert.equal(result.ok, true, `the run failed: ${JSON.stringify(result)}`);
  return result.ok ? result.answer.text : '';
}

test('live_gvisor_runner_dispatches_with_runsc', { skip }, async () => {
  requireGvisor();
  const { home, stateRoot, packageDir, runner } = setup('hello.mjs');
  const result = await runner.run(request(packageDir, 'ping from the host', { intent: { intent_id: 'live-intent-1', text: 'ping from the host' } }));
  assert.equal(answerOf(result), 'hello from gvisor: ping from the host');
  assert.ok(result.ok);
  assert.deepEqual(result.answer.sources, ['intent:live-intent-1']);
  assert.ok(result.wallMs > 0);
  assert.deepEqual(gvisorBundleDirs(stateRoot), [], 'the bundle directory is removed');
  assert.deepEqual(runscContainers(stateRoot), [], 'runsc keeps no container');
  assert.ok(fs.existsSync(path.join(home, 'runtime', 'gvisor', 'state')), 'runsc state lives under $COVENANT_HOME/runtime/gvisor/state');
});

test('live_gvisor_agent_cannot_reach_host_network', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir, runner } = setup('net-probe.mjs');
  let connections = 0;
  const server = net.createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  try {
    const { port } = server.address() as net.AddressInfo;
    // Control: the listener does accept connections from the host.
    await new Promise<void>((resolve, reject) => {
      const probe = net.connect({ host: '127.0.0.1', port }, () => {
        probe.destroy();
        resolve();
      });
      probe.once('error', reject);
    });
    assert.ok(await waitFor(() => connections === 1), 'the host listener works');
    connections = 0;

    const result = await runner.run(request(packageDir, String(port)));
    const report = JSON.parse(answerOf(result)) as { interfaces: string[]; connect: string };
    assert.notEqual(report.connect, 'connected', `the agent reached the host listener: ${JSON.stringify(report)}`);
    assert.deepEqual(
      report.interfaces.filter((name) => name !== 'lo'),
      [],
      `the sandbox sees only loopback: ${report.interfaces.join(', ')}`,
    );
    // Connections are accepted in order: once this later one from the host is seen, any the
    // sandbox had made would have been seen before it.
    await new Promise<void>((resolve, reject) => {
      const probe = net.connect({ host: '127.0.0.1', port }, () => {
        probe.destroy();
        resolve();
      });
      probe.once('error', reject);
    });
    assert.ok(await waitFor(() => connections >= 1));
    assert.equal(connections, 1, 'the host listener saw no connection from the sandbox');
    assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test('live_gvisor_agent_cannot_write_outside_scratch', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir, runner } = setup('write-probe.mjs');
  const before = new Set(fs.readdirSync(ROOTFS));
  const result = await runner.run(request(packageDir, 'write everywhere'));
  const report = JSON.parse(answerOf(result)) as Record<string, string>;
  for (const target of ['/workspace/escape.txt', '/escape.txt', '/etc/escape.txt', '/usr/bin/escape']) {
    assert.ok(report[target] === 'EROFS' || report[target] === 'EACCES' || report[target] === 'EPERM', `${target}: ${report[target]}`);
  }
  assert.equal(report['/tmp/scratch.txt'], 'ok', '/tmp is writable scratch');
  assert.equal(report.scratch_read_back, 'written by the write probe');
  assert.deepEqual(fs.readdirSync(packageDir), ['agent.mjs'], 'nothing was written into the package');
  assert.deepEqual(new Set(fs.readdirSync(ROOTFS)), before, 'nothing was written into the rootfs');
  assert.equal(fs.existsSync(path.join(ROOTFS, 'etc', 'escape.txt')), false);
  assert.deepEqual(fs.readdirSync(path.join(ROOTFS, 'tmp')), [], "the sandbox's /tmp is not the rootfs's tmp");
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('live_gvisor_bundle_removed_after_timeout', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir, runner } = setup('sleeper.mjs');
  const started = Date.now();
  const result = await runner.run(request(packageDir, 'never answers', { timeoutMs: 1500 }));
  const elapsed = Date.now() - started;
  assert.equal(result.ok, false);
  assert.ok(!result.ok && result.reason === 'timeout', JSON.stringify(result));
  assert.ok(!result.ok && !result.message.includes(stateRoot), `paths are redacted: ${result.ok ? '' : result.message}`);
  assert.ok(elapsed >= 1500, `the run lasted until its timeout (${elapsed} ms)`);
  assert.deepEqual(gvisorBundleDirs(stateRoot), [], 'the bundle directory is removed after a timeout');
  assert.deepEqual(runscContainers(stateRoot), [], 'the killed container was deleted');
  assert.deepEqual(fs.readdirSync(path.join(stateRoot, 'state')), [], 'runsc left no state files behind');
});

test('live_gvisor_memory_limit_is_enforced', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir, runner } = setup('mem-hog.mjs');
  const result = await runner.run(request(packageDir, 'allocate', { memoryMb: 128 }));
  assert.equal(result.ok, false, `a 128 MiB agent allocated 2 GiB: ${JSON.stringify(result)}`);
  assert.ok(!result.ok && result.reason === 'nonzero_exit', JSON.stringify(result));
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.deepEqual(runscContainers(stateRoot), []);
});

// ---- warm runs: a `runsc run` started ahead of the intent (SPEC 12 "Latency") -------------------

async function waitUntil(cond: () => boolean, ms = 60_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

function launchOf(packageDir: string) {
  return { agentId: path.basename(packageDir), packageDir, runtime: 'node' as const, entry: 'agent.mjs', memoryMb: 256 };
}

test('live_gvisor_warm_run_serves_one_intent_and_is_replaced', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir, runner } = setup('hello.mjs', true);
  try {
    runner.prewarm(launchOf(packageDir));
    assert.ok(await waitUntil(() => runscContainers(stateRoot).length === 1), 'a warm sandbox is running before any intent');
    const [first] = runscContainers(stateRoot);
    assert.match(first ?? '', /^warm-/);

    // Counts cold starts: the intent must go to the booted sandbox, not to a fresh `runsc run`.
    // (How much faster that is belongs to `npm run bench`, not to a test on a busy machine.)
    // A cold start writes a bundle directory named after a fresh UUID (a warm one: warm-<uuid>).
    const coldBundles: string[] = [];
    const watcher = fs.watch(stateRoot, (_event, name) => {
      if (name !== null && /^[0-9a-f-]{36}$/.test(String(name))) coldBundles.push(String(name));
    });
    let result: AgentRunResult;
    try {
      result = await runner.run(request(packageDir, 'warm ping', { intent: { intent_id: 'live-warm-1', text: 'warm ping' } }));
    } finally {
      watcher.close();
    }
    assert.equal(answerOf(result), 'hello from gvisor: warm ping');
    assert.deepEqual(coldBundles, [], 'the intent was served by the warm sandbox');
    assert.ok(!runscContainers(stateRoot).includes(first as string), 'the used sandbox is gone');
    assert.ok(!gvisorBundleDirs(stateRoot).includes(first as string), 'the used bundle is removed');

    assert.ok(await waitUntil(() => runscContainers(stateRoot).length === 1), 'a replacement is prepared');
    const [second] = runscContainers(stateRoot);
    assert.notEqual(second, first);
    assert.deepEqual(gvisorBundleDirs(stateRoot), [second]);
    const again = await runner.run(request(packageDir, 'second'));
    assert.equal(answerOf(again), 'hello from gvisor: second');
    assert.ok(!runscContainers(stateRoot).includes(second as string), 'each warm sandbox serves one intent');
  } finally {
    await runner.close();
  }
  assert.deepEqual(runscContainers(stateRoot), [], 'close() deletes the warm sandbox');
  assert.deepEqual(gvisorBundleDirs(stateRoot), [], 'close() removes the warm bundle');
});

test('live_gvisor_warm_close_leaves_nothing', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir, runner } = setup('hello.mjs', true);
  runner.prewarm(launchOf(packageDir));
  assert.ok(await waitUntil(() => runscContainers(stateRoot).length === 1));
  await runner.close();
  assert.deepEqual(runscContainers(stateRoot), []);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.deepEqual(fs.readdirSync(path.join(stateRoot, 'state')), [], 'runsc left no state files behind');
});

test('live_gvisor_warm_timeout_kills_and_removes', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir, runner } = setup('sleeper.mjs', true);
  try {
    runner.prewarm(launchOf(packageDir));
    assert.ok(await waitUntil(() => runscContainers(stateRoot).length === 1));
    const [warmId] = runscContainers(stateRoot);
    const result = await runner.run(request(packageDir, 'never answers', { timeoutMs: 1500 }));
    assert.ok(!result.ok && result.reason === 'timeout', JSON.stringify(result));
    assert.ok(!runscContainers(stateRoot).includes(warmId as string), 'the timed-out sandbox was deleted');
    assert.ok(!gvisorBundleDirs(stateRoot).includes(warmId as string), 'its bundle is removed');
  } finally {
    await runner.close();
  }
  assert.deepEqual(runscContainers(stateRoot), []);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.deepEqual(fs.readdirSync(path.join(stateRoot, 'state')), [], 'runsc left no state files behind');
});

test('live_gvisor_sandbox_does_not_outlive_a_killed_covenantd', { skip }, async () => {
  requireGvisor();
  const { stateRoot, packageDir } = setup('sleeper.mjs');
  // A stand-in for covenantd: a runner whose runs start in the launcher, one run that never
  // ends, then SIGKILL. Without the launcher's runsc kill the sandbox ran on with nobody to stop it.
  const options = { runscPath, rootfs: ROOTFS, stateRoot, covenantHome: path.dirname(path.dirname(stateRoot)) };
  const standIn = await startGvisorStandIn(options, request(packageDir, 'never answers', { timeoutMs: 600_000 }));
  try {
    const { launcher } = standIn.first;
    assert.ok(await waitUntil(() => runscContainers(stateRoot).length === 1), 'the sandbox runs');
    assert.ok(processesNaming(stateRoot).length > 0, 'runsc processes name the state root');
    standIn.die();
    assert.ok(await waitUntil(() => !alive(launcher)), 'the launcher exits once it has stopped the sandbox');
    assert.deepEqual(runscContainers(stateRoot), [], 'runsc keeps no container');
    assert.deepEqual(processesNaming(stateRoot), [], 'no runsc process of this home is left');
  } finally {
    standIn.process.kill('SIGKILL');
  }
});
