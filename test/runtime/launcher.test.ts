/**
 * The launcher process (src/runtime/supervisor/launcher.ts): processes started in it arrive with
 * their pid, their stdio and their exit as a ChildProcess gives them; nothing it started
 * outlives it or covenantd's channel to it.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ProcessLauncher, RunnerPool, TrustedLocalRunner, parseManifest, type AgentRunRequest } from '../../src/runtime/index.js';
import { AgentProcess } from '../../src/runtime/supervisor/agent-process.js';
import type { RemoteChild } from '../../src/runtime/supervisor/launcher.js';
import { waitGroupGone } from '../../src/runtime/supervisor/process-group.js';
import { commandLineHas, descendantsOf } from '../helpers/proc.js';
import { startStandIn } from '../helpers/stand-in.js';
import { tempDir } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from './process-state.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

function nodeSpec(script: string) {
  return { command: process.execPath, args: ['-e', script], cwd: FIXTURES, env: { PATH: process.env.PATH ?? '' } };
}

/** An intent for the fixture agent `entry` of FIXTURES, as a runner is handed it. */
function fixtureRequest(entry: string, n: number, agentId = 'fixture'): AgentRunRequest {
  return { agentId, packageDir: FIXTURES, runtime: 'node', entry, intent: { intent_id: `intent-${n}`, text: 'ping' }, timeoutMs: 60_000, memoryMb: 128 };
}

function parentOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
}

async function started(launcher: ProcessLauncher, script: string): Promise<RemoteChild> {
  const child = await launcher.spawn(nodeSpec(script));
  if (child instanceof Error) throw child;
  return child;
}

function collect(stream: NodeJS.ReadableStream | null): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    stream?.on('data', (chunk: Buffer) => (text += chunk.toString()));
    stream?.on('close', () => resolve(text));
  });
}

function exitOf(child: RemoteChild): Promise<[number | null, NodeJS.Signals | null]> {
  return new Promise((resolve) => child.once('exit', (code: number | null, signal: NodeJS.Signals | null) => resolve([code, signal])));
}

describe('ProcessLauncher', () => {
  const launcher = new ProcessLauncher();
  after(() => launcher.close());

  it("hands over a child's stdio unread: what it wrote before covenantd had its sockets arrives, stdin reaches it, its exit code is reported", async () => {
    // sh writes within a millisecond of its start, while the launcher still waits for this
    // process to take the stdin socket before it sends stdout: the launcher must not read it.
    const spawned = await launcher.spawn({ command: '/bin/sh', args: ['-c', 'echo early; printf "to stderr" >&2; cat; exit 3'], cwd: FIXTURES, env: { PATH: process.env.PATH ?? '' } });
    if (spawned instanceof Error) throw spawned;
    const child = spawned;
    assert.equal(parentOf(child.pid), launcher.pid, 'its parent is the launcher, not this process');
    const out = collect(child.stdout);
    const err = collect(child.stderr);
    const exit = exitOf(child);
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.stdin!.end('the intent\n');
    assert.deepEqual(await exit, [3, null]);
    await closed;
    assert.equal(await out, 'early\nthe intent\n');
    assert.equal(await err, 'to stderr');
  });

  it('a child that exits at once: its exit code reaches the AgentProcess made from it in a promise continuation', async () => {
    const spec = { command: '/bin/sh', args: ['-c', 'echo bye; exit 7'], cwd: FIXTURES, env: { PATH: process.env.PATH ?? '' } };
    const proc = await launcher.spawn(spec).then((started) => new AgentProcess(spec, { maxStdoutBytes: 1024, maxStderrBytes: 1024 }, started));
    await proc.exited;
    assert.equal(proc.exitCode, 7);
    await proc.closed;
    assert.equal(proc.stdoutText(), 'bye\n');
  });

  it('a command that cannot be started resolves to its spawn error (ENOENT), not a child', async () => {
    const result = await launcher.spawn({ command: path.join(FIXTURES, 'no-such-program'), args: [], cwd: FIXTURES, env: {} });
    assert.ok(result instanceof Error);
    assert.equal((result as NodeJS.ErrnoException).code, 'ENOENT');
  });

  it('a launcher killed under a running child: the child is killed and reported, the next launch starts a new launcher', async () => {
    const child = await started(launcher, 'setInterval(() => {}, 1000);');
    const exit = exitOf(child);
    const first = launcher.pid!;
    process.kill(first, 'SIGKILL');
    assert.deepEqual(await exit, [null, 'SIGKILL']);
    assert.ok(await waitGroupGone(child.pid, 30_000), "the child's process group is gone");
    const next = await started(launcher, 'process.stdin.resume();');
    assert.notEqual(launcher.pid, first);
    assert.equal(launcher.starts, 2);
    const nextExit = exitOf(next);
    next.stdin!.end();
    assert.deepEqual(await nextExit, [0, null]);
  });
});

describe('closing the launcher', () => {
  it('kills every process group it started and exits', async () => {
    const launcher = new ProcessLauncher();
    const child = await started(launcher, 'setInterval(() => {}, 1000);');
    const launcherPid = launcher.pid!;
    launcher.close();
    assert.ok(await waitGroupGone(child.pid, 30_000), 'the child is gone');
    assert.ok(await waitFor(() => !alive(launcherPid)), 'the launcher is gone');
  });
});

describe('TrustedLocalRunner with a launcher', () => {
  it('warm processes are started in the launcher and serve intents as before; close() leaves none', async () => {
    const launcher = new ProcessLauncher();
    const runner = new TrustedLocalRunner({ warm: true, killGraceMs: 200, launcher });
    runner.prewarm({ agentId: 'fixture', packageDir: FIXTURES, runtime: 'node', entry: 'pid.js', memoryMb: 128 });
    assert.ok(await waitFor(() => runner.warmPid('fixture', FIXTURES) !== undefined));
    const firstWarm = runner.warmPid('fixture', FIXTURES)!;
    assert.equal(parentOf(firstWarm), launcher.pid);

    const one = await runner.run(fixtureRequest('pid.js', 1));
    assert.ok(one.ok, JSON.stringify(one));
    assert.deepEqual(one.answer, { text: String(firstWarm), sources: ['intent-1'] });

    assert.ok(await waitFor(() => runner.warmPid('fixture', FIXTURES) !== undefined));
    const secondWarm = runner.warmPid('fixture', FIXTURES)!;
    assert.notEqual(secondWarm, firstWarm);
    assert.equal(parentOf(secondWarm), launcher.pid, 'the replacement too');
    const two = await runner.run(fixtureRequest('pid.js', 2));
    assert.ok(two.ok, JSON.stringify(two));
    assert.equal(two.answer.text, String(secondWarm));

    assert.ok(await waitFor(() => runner.warmPid('fixture', FIXTURES) !== undefined));
    const thirdWarm = runner.warmPid('fixture', FIXTURES)!;
    await runner.close();
    launcher.close();
    assert.equal(alive(thirdWarm), false, 'close() killed the waiting process');
  });

  it('a cold run (no warm process) is started in the launcher too; a failing one is reported as before (exit code, reason)', async () => {
    const launcher = new ProcessLauncher();
    const runner = new TrustedLocalRunner({ warm: false, killGraceMs: 200, launcher });
    try {
      const one = await runner.run(fixtureRequest('parent-pid.js', 1));
      assert.ok(one.ok, JSON.stringify(one));
      assert.deepEqual(one.answer, { text: String(launcher.pid), sources: ['intent-1'] }, "the agent's parent is the launcher, not this process");
      assert.equal(runner.warmCount, 0, 'no warm process was started');

      const failed = await runner.run(fixtureRequest('fail.js', 2));
      assert.equal(failed.ok, false);
      assert.equal(failed.ok ? null : failed.reason, 'nonzero_exit');
      assert.equal(failed.ok ? null : failed.exitCode, 3);
    } finally {
      await runner.close();
      launcher.close();
    }
  });
});

describe('RunnerPool with a launcher', () => {
  it('starts the launcher when a trusted-local agent is loaded, warm or not: its first cold run is the launcher\'s child', async () => {
    const manifest = parseManifest(
      '[agent]\nid = "cold"\nname = "Cold"\nversion = "0.1.0"\nruntime = "node"\nentry = "parent-pid.js"\n\n[resources]\nwarm = false\n\n[sandbox]\nbackend = "trusted-local"\nrun_as_daemon_user = true\n',
      'agent.toml',
    );
    const { dir, cleanup } = tempDir('covenant-launcher-pool-');
    const pool = new RunnerPool({ covenantHome: dir, gvisorStateRoot: path.join(dir, 'gvisor'), manifest: () => manifest, launcher: true });
    try {
      // Other tests of this file keep launchers of their own: this pool's is the one that appears.
      const launchers = () => descendantsOf(process.pid).filter((pid) => commandLineHas(pid, 'launcher-main'));
      const before = new Set(launchers());
      const started = () => launchers().filter((pid) => !before.has(pid));
      assert.deepEqual(started(), [], 'no launcher before any agent is loaded');
      pool.prewarm({ id: 'cold', manifest, packageDir: FIXTURES, installedAt: 0, packageSha256: '', backend: 'trusted-local' });
      assert.equal(started().length, 1, 'the launcher runs once the agent is loaded');
      const launcher = started()[0];
      assert.equal(pool.warmCount, 0, 'no warm process: warm = false');
      const result = await pool.runnerFor('trusted-local').run(fixtureRequest('parent-pid.js', 1, 'cold'));
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.answer.text, String(launcher));
    } finally {
      await pool.close();
      cleanup();
    }
  });
});

describe('a launcher whose covenantd dies while it hands over a child', () => {
  it('kills what it started and exits, although node never reports the channel closed', async () => {
    // A stand-in for covenantd: it forks the launcher, asks for a launch and dies on hearing it
    // started, before it takes the stdin socket the launcher sends next (node then holds the
    // launcher's disconnect until an acknowledgement that never comes).
    const standIn = await startStandIn<{ launcher: number; child: number }>(`
      const launcher = new ProcessLauncher();
      void launcher.spawn({ command: '/bin/sh', args: ['-c', 'sleep 600'], cwd: '/', env: { PATH: process.env.PATH } });
      const proc = launcher.proc;
      proc.prependListener('message', (message) => {
        if (message.kind !== 'started') return;
        process.stdout.write(JSON.stringify({ launcher: proc.pid, child: message.pid }) + '\\n');
        process.kill(process.pid, 'SIGKILL');
      });
    `);
    const pids = standIn.first;
    await new Promise((resolve) => standIn.process.once('exit', resolve));
    assert.ok(await waitGroupGone(pids.child, 30_000), 'the child it was handing over is killed');
    assert.ok(await waitFor(() => !alive(pids.launcher), 30_000), 'the launcher exits');
  });
});

describe('a launcher whose covenantd dies, for a process with an orphanStop', () => {
  it("runs its kill command; when that does not stop it, SIGKILLs its group and runs its cleanup command", async () => {
    const { dir, cleanup } = tempDir('covenant-launcher-orphan-');
    try {
      const log = path.join(dir, 'control.log');
      const note = (word: string) => ({ command: '/bin/sh', args: ['-c', `echo ${word} >> ${JSON.stringify(log)}`], env: { PATH: process.env.PATH ?? '' } });
      // A kill command that stops nothing: the launcher must fall back to the group and the cleanup.
      const spec = { command: '/bin/sh', args: ['-c', 'sleep 600'], cwd: '/', env: { PATH: process.env.PATH ?? '' }, orphanStop: { kill: note('kill'), settleMs: 100, cleanup: note('cleanup') } };
      const standIn = await startStandIn<{ launcher: number; child: number }>(`
        const launcher = new ProcessLauncher();
        const child = await launcher.spawn(${JSON.stringify(spec)});
        process.stdout.write(JSON.stringify({ launcher: launcher.pid, child: child.pid }) + '\\n');
        process.kill(process.pid, 'SIGKILL');
      `);
      const pids = standIn.first;
      assert.ok(await waitGroupGone(pids.child, 30_000), 'the child is killed');
      assert.ok(await waitFor(() => !alive(pids.launcher), 30_000), 'the launcher exits once its cleanup has run');
      assert.deepEqual(readFileSync(log, 'utf8').split('\n').filter(Boolean), ['kill', 'cleanup'], 'the kill command first, the cleanup after the group was killed');
    } finally {
      cleanup();
    }
  });
});
