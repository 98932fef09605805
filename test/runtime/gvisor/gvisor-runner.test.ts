import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { GvisorRunner, checkGvisorReadiness } from '../../../src/runtime/gvisor/index.js';
import { RunnerPool } from '../../../src/runtime/index.js';
import type { AgentRunRequest, AgentRunResult } from '../../../src/runtime/runner.js';
import { CovenantError } from '../../../src/core/errors.js';
import { gvisorBundleDirs } from '../../helpers/gvisor-state.js';
import { pidAlive, waitFor } from '../../helpers/wait.js';
import { alive } from '../process-state.js';
import { startGvisorStandIn } from '../../helpers/stand-in.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const tmp = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'covenant-gvisor-runner-')));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

let counter = 0;

/** A fresh COVENANT_HOME with the fixture agents installed as one package. */
function makeHome(): { home: string; stateRoot: string; packageDir: string } {
  const home = path.join(tmp, `home-${++counter}`);
  const stateRoot = path.join(home, 'runtime', 'gvisor');
  const packageDir = path.join(home, 'agents', 'fixture');
  fs.mkdirSync(packageDir, { recursive: true });
  fs.cpSync(path.join(FIXTURES, 'agents'), packageDir, { recursive: true });
  return { home, stateRoot, packageDir };
}

/** A rootfs that passes the readiness checks (bin/sh and usr/bin/node, executable). */
function makeRootfs(opts: { sh?: boolean; node?: boolean } = {}): string {
  const rootfs = path.join(tmp, `rootfs-${++counter}`);
  fs.mkdirSync(path.join(rootfs, 'usr', 'bin'), { recursive: true });
  fs.symlinkSync('usr/bin', path.join(rootfs, 'bin'));
  if (opts.sh !== false) fs.writeFileSync(path.join(rootfs, 'usr', 'bin', 'sh'), '#!/bin/false\n', { mode: 0o755 });
  if (opts.node !== false) fs.writeFileSync(path.join(rootfs, 'usr', 'bin', 'node'), '#!/bin/false\n', { mode: 0o755 });
  return rootfs;
}

/** An executable `runsc` that runs fixtures/fake-runsc.mjs with this node. */
function makeFakeRunsc(): string {
  const dir = path.join(tmp, `fake-bin-${++counter}`);
  fs.mkdirSync(dir);
  const file = path.join(dir, 'runsc');
  fs.writeFileSync(
    file,
    `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(path.join(FIXTURES, 'fake-runsc.mjs'))} "$@"\n`,
    { mode: 0o755 },
  );
  return file;
}

function request(packageDir: string, entry: string, overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  return {
    agentId: 'fixture',
    packageDir,
    runtime: 'node',
    entry,
    intent: { intent_id: 'intent-1', text: 'ping' },
    timeoutMs: 10_000,
    memoryMb: 128,
    ...overrides,
  };
}

interface FakeCall {
  pid: number;
  globals: string[];
  command: string;
  args: string[];
}

/**
 * The fake runsc's calls so far. A call being logged right now may be an empty file or a line
 * without its newline yet: only complete lines are read.
 */
function fakeCalls(stateRoot: string): FakeCall[] {
  const log = path.join(stateRoot, 'state', 'fake-calls.log');
  if (!fs.existsSync(log)) return [];
  const text = fs.readFileSync(log, 'utf8');
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as FakeCall);
}

/** Container ids of `runsc run` calls, in order. */
function runIds(stateRoot: string): string[] {
  return fakeCalls(stateRoot)
    .filter((c) => c.command === 'run')
    .map((c) => c.args[c.args.length - 1] as string);
}

/** Ids whose fake sandbox process is still running (fake-runsc keeps `<id>.fake-pid` meanwhile). */
function runningIds(stateRoot: string): string[] {
  const dir = path.join(stateRoot, 'state');
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).filter((n) => n.endsWith('.fake-pid')).map((n) => n.slice(0, -'.fake-pid'.length));
}

function assertFailure(result: AgentRunResult, reason: string): asserts result is Extract<AgentRunResult, { ok: false }> {
  assert.equal(result.ok, false, `expected ${reason}, got ${JSON.stringify(result)}`);
  if (!result.ok) assert.equal(result.reason, reason, result.message);
}

// ---- sandbox_unavailable: never an unsandboxed fallback -------------------------------------

test('missing runsc (explicit path) answers sandbox_unavailable with a fix line and leaves no bundle', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: path.join(tmp, 'no-such-dir', 'runsc'), rootfs: makeRootfs(), stateRoot });
  const result = await runner.run(request(packageDir, 'marker.mjs'));
  assertFailure(result, 'sandbox_unavailable');
  assert.match(result.message, /runsc not found/);
  assert.match(result.message, /apt-get install runsc/);
  assert.ok(result.message.includes('fixture'), 'the message names the agent');
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.equal(fs.existsSync(path.join(packageDir, 'ran.marker')), false, 'the agent must not run unsandboxed');
  assert.ok(result.wallMs >= 0);
});

test('runsc missing from PATH answers sandbox_unavailable naming PATH and the apt package', async () => {
  const { stateRoot, packageDir } = makeHome();
  const emptyBin = path.join(tmp, `empty-bin-${++counter}`);
  fs.mkdirSync(emptyBin);
  const savedPath = process.env.PATH;
  process.env.PATH = emptyBin;
  let result: AgentRunResult;
  try {
    result = await new GvisorRunner({ rootfs: makeRootfs(), stateRoot }).run(request(packageDir, 'marker.mjs'));
  } finally {
    process.env.PATH = savedPath;
  }
  assertFailure(result, 'sandbox_unavailable');
  assert.match(result.message, /runsc not found on PATH: install gVisor with `apt-get install runsc`/);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.equal(fs.existsSync(path.join(packageDir, 'ran.marker')), false);
});

test('a missing rootfs answers sandbox_unavailable with a make-rootfs fix line and leaves no bundle', async () => {
  const { stateRoot, packageDir } = makeHome();
  const rootfs = path.join(tmp, 'no-such-rootfs');
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs, stateRoot });
  const result = await runner.run(request(packageDir, 'marker.mjs'));
  assertFailure(result, 'sandbox_unavailable');
  assert.match(result.message, /does not exist/);
  assert.match(result.message, /scripts\/make-rootfs\.sh /);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.deepEqual(fakeCalls(stateRoot), [], 'runsc is never invoked');
  assert.equal(fs.existsSync(path.join(packageDir, 'ran.marker')), false);
});

test('a rootfs without bin/sh answers sandbox_unavailable: "has no bin/sh: build one with scripts/make-rootfs.sh"', async () => {
  const { stateRoot, packageDir } = makeHome();
  const rootfs = makeRootfs({ sh: false });
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs, stateRoot }).run(request(packageDir, 'marker.mjs'));
  assertFailure(result, 'sandbox_unavailable');
  assert.match(result.message, /has no bin\/sh: build one with `scripts\/make-rootfs\.sh /);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.deepEqual(fakeCalls(stateRoot), []);
});

test('a rootfs whose bin/sh is an absolute symlink into the host is not valid', async () => {
  const { stateRoot, packageDir } = makeHome();
  const rootfs = makeRootfs({ sh: false });
  // Valid on the host (/bin/sh exists there) but dangling inside the rootfs.
  fs.symlinkSync('/bin/sh', path.join(rootfs, 'usr', 'bin', 'sh'));
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs, stateRoot }).run(request(packageDir, 'marker.mjs'));
  assertFailure(result, 'sandbox_unavailable');
  assert.match(result.message, /has no bin\/sh/);
});

test('a node agent with a rootfs that lacks node answers sandbox_unavailable', async () => {
  const { stateRoot, packageDir } = makeHome();
  const rootfs = makeRootfs({ node: false });
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs, stateRoot }).run(request(packageDir, 'marker.mjs'));
  assertFailure(result, 'sandbox_unavailable');
  assert.match(result.message, /no usr\/bin\/node: rebuild it with `scripts\/make-rootfs\.sh /);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('paths under COVENANT_HOME are redacted in messages', async () => {
  const { home, stateRoot, packageDir } = makeHome();
  const rootfs = path.join(home, 'rootfs-missing');
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs, stateRoot }).run(request(packageDir, 'marker.mjs'));
  assertFailure(result, 'sandbox_unavailable');
  assert.ok(result.message.includes('$COVENANT_HOME/rootfs-missing'), result.message);
  assert.ok(!result.message.includes(home), result.message);
});

test('extra runsc flags cannot override --network or --root', () => {
  const base = { rootfs: '/x', stateRoot: path.join(tmp, 'flags') };
  assert.throws(() => new GvisorRunner({ ...base, extraRunscFlags: ['--network=host'] }), CovenantError);
  assert.throws(() => new GvisorRunner({ ...base, extraRunscFlags: ['-root=/tmp'] }), CovenantError);
  assert.throws(() => new GvisorRunner({ ...base, extraRunscFlags: ['host'] }), CovenantError);
  assert.doesNotThrow(() => new GvisorRunner({ ...base, extraRunscFlags: ['--platform=ptrace'] }));
});

// ---- the protocol, driven through a fake runsc (not a sandbox) -----------------------------

test('a run answers {text, sources}, invokes runsc --network=none --root <stateRoot>/state run --bundle, and removes the bundle', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, extraRunscFlags: ['--platform=ptrace'] });
  const result = await runner.run(request(packageDir, 'hello.mjs', { intent: { intent_id: 'i-42', text: 'hi' } }));
  assert.equal(result.ok, true, JSON.stringify(result));
  if (!result.ok) return;
  assert.deepEqual(result.answer, { text: 'hello from gvisor: hi', sources: ['intent:i-42'] });
  const calls = fakeCalls(stateRoot);
  assert.equal(calls.length, 1, JSON.stringify(calls));
  const [call] = calls;
  assert.deepEqual(call?.globals, ['--network=none', '--root', path.join(stateRoot, 'state'), '--platform=ptrace']);
  assert.equal(call?.command, 'run');
  const [flag, bundleDir, id] = call?.args ?? [];
  assert.equal(flag, '--bundle');
  assert.equal(bundleDir, path.join(stateRoot, id as string));
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('malformed stdout is malformed_output naming the agent, and the bundle is removed', async () => {
  const { stateRoot, packageDir } = makeHome();
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot }).run(
    request(packageDir, 'malformed.mjs'),
  );
  assertFailure(result, 'malformed_output');
  assert.match(result.message, /agent fixture: malformed output: not JSON/);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('a non-zero exit is nonzero_exit with the exit code and stderr, and the bundle is removed', async () => {
  const { stateRoot, packageDir } = makeHome();
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot }).run(
    request(packageDir, 'fail.mjs'),
  );
  assertFailure(result, 'nonzero_exit');
  assert.equal(result.exitCode, 3);
  assert.match(result.message, /agent fixture: exited with code 3; stderr: fail agent: something broke/);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('a sandbox that cannot start the process is spawn_failed, cleaned with delete --force', async () => {
  const { stateRoot, packageDir } = makeHome();
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot }).run(
    request(packageDir, 'agent-binary', { runtime: 'bin' }),
  );
  assertFailure(result, 'spawn_failed');
  assert.match(result.message, /runsc could not start the agent: running container: .*failed to load/);
  assert.ok(fakeCalls(stateRoot).some((c) => c.command === 'delete' && c.args[0] === '--force'));
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('a timeout sends TERM, then after the grace KILL, then delete --force; the bundle is removed', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, graceMs: 300 });
  const started = Date.now();
  const result = await runner.run(request(packageDir, 'sleeper.mjs', { timeoutMs: 500 }));
  const elapsed = Date.now() - started;
  assertFailure(result, 'timeout');
  assert.match(result.message, /agent fixture: timed out after 500 ms; its sandbox was killed/);
  assert.ok(elapsed >= 700, `TERM is followed by a grace period (${elapsed} ms)`);
  const commands = fakeCalls(stateRoot).map((c) => [c.command, ...c.args.filter((a) => !/^[0-9a-f-]{36}$/.test(a))].join(' '));
  const killTerm = commands.indexOf('kill TERM');
  const killKill = commands.indexOf('kill KILL');
  const del = commands.indexOf('delete --force');
  assert.ok(killTerm > 0 && killKill > killTerm && del > killKill, commands.join(', '));
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('stdout over the cap is stdout_overflow and kills the run at once', async () => {
  const { stateRoot, packageDir } = makeHome();
  // A grace period far longer than any run under load: had it been waited, the test would show it.
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, stdoutCapBytes: 256 * 1024, graceMs: 120_000 });
  const started = Date.now();
  const result = await runner.run(request(packageDir, 'flood.mjs', { timeoutMs: 240_000 }));
  assertFailure(result, 'stdout_overflow');
  assert.match(result.message, /stdout exceeded 262144 bytes/);
  assert.ok(Date.now() - started < 120_000, 'no grace period for an overflow');
  const commands = fakeCalls(stateRoot).map((c) => [c.command, ...c.args.filter((a) => !/^[0-9a-f-]{36}$/.test(a))].join(' '));
  assert.ok(!commands.includes('kill TERM') && commands.includes('kill KILL'), `straight to KILL: ${commands.join(', ')}`);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('an abort signal cancels the run (aborted) and removes the bundle', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, graceMs: 200 });
  const controller = new AbortController();
  const pending = runner.run(request(packageDir, 'sleeper.mjs', { signal: controller.signal, timeoutMs: 240_000 }));
  assert.ok(await waitFor(() => runningIds(stateRoot).length === 1), 'the sandbox is running');
  controller.abort();
  const result = await pending;
  assertFailure(result, 'aborted');
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);

  const already = new AbortController();
  already.abort();
  assertFailure(await runner.run(request(packageDir, 'hello.mjs', { signal: already.signal })), 'aborted');
});

test('an abort that comes while the bundle is written still cancels the run', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, graceMs: 200 });
  const controller = new AbortController();
  // run() is writing the bundle when abort() fires: no sandbox exists yet to listen for it.
  const pending = runner.run(request(packageDir, 'sleeper.mjs', { signal: controller.signal, timeoutMs: 240_000 }));
  controller.abort();
  assertFailure(await pending, 'aborted');
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('close() while a run writes its bundle aborts that run too', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, graceMs: 200 });
  const pending = runner.run(request(packageDir, 'sleeper.mjs', { timeoutMs: 240_000 }));
  await runner.close();
  assertFailure(await pending, 'aborted');
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('close() kills running sandboxes and refuses new runs', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, graceMs: 200 });
  const pending = runner.run(request(packageDir, 'sleeper.mjs', { timeoutMs: 240_000 }));
  assert.ok(await waitFor(() => runningIds(stateRoot).length === 1), 'the sandbox is running');
  await runner.close();
  assertFailure(await pending, 'aborted');
  assertFailure(await runner.run(request(packageDir, 'hello.mjs')), 'aborted');
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('a runsc that cannot be executed is sandbox_unavailable and the bundle is removed', async () => {
  const { stateRoot, packageDir } = makeHome();
  const dir = path.join(tmp, `broken-bin-${++counter}`);
  fs.mkdirSync(dir);
  const runsc = path.join(dir, 'runsc');
  fs.writeFileSync(runsc, '#!/nonexistent/interpreter\n', { mode: 0o755 });
  const result = await new GvisorRunner({ runscPath: runsc, rootfs: makeRootfs(), stateRoot }).run(request(packageDir, 'hello.mjs'));
  assertFailure(result, 'sandbox_unavailable');
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('an entry outside the package is spawn_failed before runsc runs', async () => {
  const { stateRoot, packageDir } = makeHome();
  const result = await new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot }).run(
    request(packageDir, '../escape.mjs'),
  );
  assertFailure(result, 'spawn_failed');
  assert.deepEqual(fakeCalls(stateRoot), []);
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

// ---- warm runs (SPEC 12 "Latency") ----------------------------------------------------------

const launchOf = (packageDir: string, entry: string) => ({ agentId: 'fixture', packageDir, runtime: 'node' as const, entry, memoryMb: 128 });

test('warm: a prepared run serves exactly one intent and a fresh one is prepared for the next', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, warm: true });
  try {
    runner.prewarm(launchOf(packageDir, 'hello.mjs'));
    assert.ok(await waitFor(() => runningIds(stateRoot).length === 1), 'the warm agent is started ahead of the intent');
    const [first] = runIds(stateRoot);
    assert.match(first ?? '', /^warm-[0-9a-f-]{36}$/);
    assert.deepEqual(gvisorBundleDirs(stateRoot), [first]);

    const one = await runner.run(request(packageDir, 'hello.mjs', { intent: { intent_id: 'w-1', text: 'one' } }));
    assert.equal(one.ok, true, JSON.stringify(one));
    if (one.ok) assert.deepEqual(one.answer, { text: 'hello from gvisor: one', sources: ['intent:w-1'] });
    assert.equal(runIds(stateRoot)[0], first, 'the intent went to the prepared run (no cold run first)');
    assert.ok(!gvisorBundleDirs(stateRoot).includes(first as string), 'the used bundle is removed');

    assert.ok(await waitFor(() => runIds(stateRoot).length === 2 && runningIds(stateRoot).length === 1), 'a replacement is prepared');
    const second = runIds(stateRoot)[1] as string;
    assert.notEqual(second, first);
    assert.deepEqual(gvisorBundleDirs(stateRoot), [second]);
    assert.equal(runner.warmCount, 1);

    const two = await runner.run(request(packageDir, 'hello.mjs', { intent: { intent_id: 'w-2', text: 'two' } }));
    assert.equal(two.ok, true, JSON.stringify(two));
    if (two.ok) assert.equal(two.answer.text, 'hello from gvisor: two');
    assert.ok(!gvisorBundleDirs(stateRoot).includes(second), 'each prepared run serves one intent');
    assert.ok(await waitFor(() => runIds(stateRoot).length === 3));
  } finally {
    await runner.close();
  }
  assert.deepEqual(gvisorBundleDirs(stateRoot), [], 'close() removes the warm bundle');
  assert.deepEqual(runningIds(stateRoot), [], 'close() kills the waiting agent');
  assert.equal(runner.warmCount, 0);
});

test('warm: close() right after prewarm leaves no sandbox and no bundle', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, warm: true });
  runner.prewarm(launchOf(packageDir, 'hello.mjs'));
  await runner.close();
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.deepEqual(runIds(stateRoot), [], 'close() came while the bundle was written: no sandbox was started');
  assert.deepEqual(runningIds(stateRoot), []);
  runner.prewarm(launchOf(packageDir, 'hello.mjs'));
  assert.equal(runner.warmCount, 0, 'a closed runner prepares nothing');
});

test('warm: a timeout on a warm run sends TERM, KILL, delete --force and removes its bundle', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, graceMs: 300, warm: true });
  try {
    runner.prewarm(launchOf(packageDir, 'sleeper.mjs'));
    assert.ok(await waitFor(() => runningIds(stateRoot).length === 1));
    const [warmId] = runIds(stateRoot);
    const result = await runner.run(request(packageDir, 'sleeper.mjs', { timeoutMs: 500 }));
    assertFailure(result, 'timeout');
    assert.match(result.message, /timed out after 500 ms; its sandbox was killed/);
    const commands = fakeCalls(stateRoot)
      .filter((c) => c.args.includes(warmId as string))
      .map((c) => [c.command, ...c.args.filter((a) => a !== warmId)].join(' '));
    const killTerm = commands.indexOf('kill TERM');
    const killKill = commands.indexOf('kill KILL');
    const del = commands.indexOf('delete --force');
    assert.ok(killTerm > 0 && killKill > killTerm && del > killKill, commands.join(', '));
    assert.ok(!gvisorBundleDirs(stateRoot).includes(warmId as string));
    assert.ok(!runningIds(stateRoot).includes(warmId as string), 'the warm sandbox is gone');
  } finally {
    await runner.close();
  }
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  assert.deepEqual(runningIds(stateRoot), []);
});

test('warm: an agent that warm=false turns off keeps the cold path', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, warm: (l) => l.agentId !== 'fixture' });
  try {
    runner.prewarm(launchOf(packageDir, 'hello.mjs'));
    const result = await runner.run(request(packageDir, 'hello.mjs'));
    assert.equal(result.ok, true, JSON.stringify(result));
    assert.equal(runner.warmCount, 0);
    assert.deepEqual(runIds(stateRoot).map((id) => /^[0-9a-f-]{36}$/.test(id)), [true], 'one cold run, nothing prepared');
    assert.deepEqual(gvisorBundleDirs(stateRoot), []);
  } finally {
    await runner.close();
  }
});

test('warm: a prepared run that ended before its intent is discarded and the intent runs cold', async () => {
  const { stateRoot, packageDir } = makeHome();
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot, warm: true });
  try {
    // marker.mjs answers without reading stdin, so its prepared run is over before any intent.
    runner.prewarm(launchOf(packageDir, 'marker.mjs'));
    assert.ok(await waitFor(() => runIds(stateRoot).length === 1));
    const warmRun = fakeCalls(stateRoot).find((c) => c.command === 'run') as FakeCall;
    // The runner is the parent of that runsc: once the pid is reaped, the runner has seen the exit.
    assert.ok(await waitFor(() => !pidAlive(warmRun.pid)), 'the prepared run ended');
    const [stale] = runIds(stateRoot);
    const result = await runner.run(request(packageDir, 'marker.mjs'));
    assert.equal(result.ok, true, JSON.stringify(result));
    const ids = runIds(stateRoot);
    assert.match(ids[1] ?? '', /^[0-9a-f-]{36}$/, 'the intent ran cold');
    assert.ok(!gvisorBundleDirs(stateRoot).includes(stale as string), 'the stale bundle is removed');
  } finally {
    await runner.close();
  }
  assert.deepEqual(gvisorBundleDirs(stateRoot), []);
});

test('readiness reports runsc path and version, a valid rootfs, and no fixes when all is there', async () => {
  const runsc = makeFakeRunsc();
  const rootfs = makeRootfs();
  const r = await checkGvisorReadiness({ runscPath: runsc, rootfs });
  assert.deepEqual(r.runsc, { found: true, path: runsc, version: 'fake-0.0' });
  assert.equal(r.rootfs.valid, true);
  assert.equal(r.rootfs.node, true);
  assert.equal(r.rootfs.path, rootfs);
  assert.equal(typeof r.kernel.ok, 'boolean');
  assert.equal(r.ready, r.kernel.ok);
  if (r.kernel.ok) assert.deepEqual(r.fixes, []);
});

test('readiness gives a fix line for a missing runsc and a rootfs without bin/sh', async () => {
  const rootfs = makeRootfs({ sh: false });
  const r = await checkGvisorReadiness({ runscPath: path.join(tmp, 'missing', 'runsc'), rootfs });
  assert.equal(r.ready, false);
  assert.deepEqual(r.runsc, { found: false, path: path.join(tmp, 'missing', 'runsc'), version: null });
  assert.equal(r.rootfs.valid, false);
  assert.ok(r.fixes.some((fix) => fix.includes('apt-get install runsc')), r.fixes.join('\n'));
  assert.ok(r.fixes.some((fix) => fix.includes(`has no bin/sh: build one with \`scripts/make-rootfs.sh ${rootfs}\``)), r.fixes.join('\n'));
});

test('readiness without a configured rootfs says to set COVENANT_GVISOR_ROOTFS', async () => {
  const saved = process.env.COVENANT_GVISOR_ROOTFS;
  delete process.env.COVENANT_GVISOR_ROOTFS;
  try {
    const r = await checkGvisorReadiness({ runscPath: makeFakeRunsc() });
    assert.equal(r.rootfs.valid, false);
    assert.equal(r.rootfs.path, null);
    assert.ok(r.fixes.some((fix) => fix.includes('COVENANT_GVISOR_ROOTFS') && fix.includes('scripts/make-rootfs.sh')));
  } finally {
    if (saved !== undefined) process.env.COVENANT_GVISOR_ROOTFS = saved;
  }
});

// ---- the launcher: runsc run is started there, and stopped through runsc if covenantd dies ----

test('with a launcher: runsc run is its child; a covenantd SIGKILLed mid-run leaves no sandbox (runsc kill, not a SIGKILLed runsc)', async () => {
  const { stateRoot, packageDir } = makeHome();
  const options = { runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot };
  // A stand-in for covenantd: a gVisor runner with a launcher, an agent that never ends, then SIGKILL.
  const standIn = await startGvisorStandIn(options, request(packageDir, 'sleeper.mjs', { timeoutMs: 600_000 }));
  try {
    const { launcher } = standIn.first;
    assert.ok(await waitFor(() => runningIds(stateRoot).length === 1, 30_000), 'the agent runs in its (fake) sandbox');
    const run = fakeCalls(stateRoot).find((call) => call.command === 'run')!;
    const parent = Number(fs.readFileSync(`/proc/${run.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]);
    assert.equal(parent, launcher, "runsc run is the launcher's child, not covenantd's");
    const [id] = runningIds(stateRoot);

    standIn.die();
    assert.ok(await waitFor(() => !alive(launcher), 30_000), 'the launcher exits once it has stopped the sandbox');
    assert.deepEqual(runningIds(stateRoot), [], 'the agent in the sandbox is gone');
    assert.ok(!alive(run.pid), 'runsc run is gone');
    const control = fakeCalls(stateRoot).filter((call) => call.command !== 'run').map((call) => [call.command, ...call.args]);
    assert.deepEqual(control, [['kill', id, 'KILL']], 'stopped with runsc kill, which lets runsc run remove the container itself: no delete needed');
  } finally {
    standIn.process.kill('SIGKILL');
  }
});

test('a new runner removes what a killed covenantd left: each bundle directory, its container (runsc delete --force) and its state files', async () => {
  const { stateRoot, packageDir } = makeHome();
  const left = ['warm-00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
  for (const id of left) fs.mkdirSync(path.join(stateRoot, id), { recursive: true });
  // Not a name any run could have: not ours to delete, and never handed to runsc as an argument.
  fs.mkdirSync(path.join(stateRoot, '--not-a-run'), { recursive: true });
  fs.mkdirSync(path.join(stateRoot, 'state'), { recursive: true });
  const stateFile = path.join(stateRoot, 'state', `${left[1]}_sandbox:${left[1]}.lock`);
  fs.writeFileSync(stateFile, '');
  const runner = new GvisorRunner({ runscPath: makeFakeRunsc(), rootfs: makeRootfs(), stateRoot });
  try {
    const result = await runner.run(request(packageDir, 'hello.mjs'));
    assert.equal(result.ok, true, JSON.stringify(result));
  } finally {
    await runner.close();
  }
  assert.deepEqual(gvisorBundleDirs(stateRoot), ['--not-a-run'], "the leftovers and the new run's bundle are gone; the rest is left alone");
  assert.equal(fs.existsSync(stateFile), false, "runsc's state file of a leftover is removed");
  const deleted = fakeCalls(stateRoot).filter((call) => call.command === 'delete').map((call) => call.args.join(' ')).sort();
  assert.deepEqual(deleted, left.map((id) => `--force ${id}`).sort(), 'each leftover container is deleted, and only those');
});

test('a runner pool whose home holds such leftovers removes them at once, with no gVisor agent to run', async () => {
  const { home, stateRoot } = makeHome();
  const left = 'warm-00000000-0000-4000-8000-000000000003';
  fs.mkdirSync(path.join(stateRoot, left), { recursive: true });
  const pool = new RunnerPool({ covenantHome: home, gvisorStateRoot: stateRoot, gvisorRootfs: makeRootfs(), runscPath: makeFakeRunsc() });
  await pool.close();
  assert.deepEqual(gvisorBundleDirs(stateRoot), [], 'the leftover bundle is removed');
  assert.deepEqual(fakeCalls(stateRoot).map((call) => [call.command, ...call.args]), [['delete', '--force', left]]);
});
