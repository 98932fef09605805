/**
 * Shutdown always finishes (issue 8 item 2): idle, busy (an intent in flight) and warm (an
 * agent installed and prewarmed), in process (`stop()`) and with the real binary (SIGTERM):
 * in-flight requests answered, agent processes gone, `daemon_stopped` audited, a checkpoint
 * signed on it, pid file and socket removed, exit code 0.
 */
import assert from 'node:assert/strict';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { startDaemon, type RunningDaemon } from '../../src/daemon/index.js';
import { homePaths } from '../../src/home/index.js';
import { operatorClient, REPO_ROOT, spawnDaemon } from '../helpers/binaries.js';
import { requestOk } from '../helpers/daemon-fixture.js';
import { commandLineHas, descendantsOf } from '../helpers/proc.js';
import { tempDir } from '../helpers/temp-home.js';
import { pidAlive, waitFor } from '../helpers/wait.js';

const HELLO = join(REPO_ROOT, 'agents', 'hello');
const SLOW = join(REPO_ROOT, 'test', 'fixtures', 'agents', 'slow'); // hangs; its 400 ms budget is raised below

interface Scene {
  dir: string;
  home: string;
  pidfile: string;
  env: NodeJS.ProcessEnv;
  cleanup(): void;
}

function scene(): Scene {
  const { dir, cleanup } = tempDir('covenant-shutdown-');
  const pidfile = join(dir, 'agent-pids.json');
  return { dir, home: join(dir, 'home'), pidfile, env: { PATH: process.env.PATH, HOME: dir, FIXTURE_PIDFILE: pidfile }, cleanup };
}

/** The slow fixture with a budget far beyond any grace: only shutdown can end its run. */
function verySlowAgent(dir: string): string {
  const copy = join(dir, 'very-slow');
  cpSync(SLOW, copy, { recursive: true });
  const manifest = join(copy, 'agent.toml');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('cpu_ms_per_task = 400', 'cpu_ms_per_task = 600000'));
  return copy;
}

/** Pids of the agent processes the fixture wrote down once its run started. */
async function runningAgentPids(pidfile: string): Promise<number[]> {
  assert.ok(await waitFor(() => existsSync(pidfile) && readFileSync(pidfile, 'utf8').endsWith('}'), 30_000), 'the agent run started');
  const pids = JSON.parse(readFileSync(pidfile, 'utf8')) as { agent: number; grandchild: number };
  return [pids.agent, pids.grandchild];
}

/** The warm `hello` processes below `pid`: started by covenantd's launcher process, so its grandchildren. */
function warmHelloBelow(pid: number): number[] {
  return descendantsOf(pid).filter((child) => commandLineHas(child, 'hello'));
}

function isLauncher(pid: number): boolean {
  return commandLineHas(pid, 'launcher-main');
}

/** Whether `pid` is a running process (a zombie waiting for a non-reaping init does not count). */
function running(pid: number): boolean {
  if (!pidAlive(pid)) return false;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

/** What a finished shutdown leaves: the rows, the checkpoint on the last one, no socket, no pid file. */
function assertCleanStop(home: string, reason: string): void {
  const paths = homePaths(home);
  assert.equal(existsSync(paths.sock), false, 'the socket is removed');
  assert.equal(existsSync(paths.lock), false, 'the pid file is removed');
  const db = new Database(paths.db, { readonly: true });
  try {
    const last = db.prepare('SELECT seq, kind, payload FROM audit_events ORDER BY seq DESC LIMIT 1').get() as { seq: number; kind: string; payload: string };
    assert.equal(last.kind, 'daemon_stopped', 'daemon_stopped is the last row');
    assert.deepEqual(JSON.parse(last.payload), { reason });
    const checkpoint = db.prepare('SELECT seq FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as { seq: number } | undefined;
    assert.equal(checkpoint?.seq, last.seq, 'a checkpoint is signed on the daemon_stopped row');
  } finally {
    db.close();
  }
}

test('in process, idle: stop() settles with daemon_stopped, a checkpoint, no socket and no pid file', async () => {
  const s = scene();
  const daemon = await startDaemon({ home: s.home, agentRuntime: { env: s.env } });
  assert.ok(existsSync(daemon.paths.lock), 'the pid file is written while serving');
  await daemon.stop('test');
  assertCleanStop(s.home, 'test');
  s.cleanup();
});

test('in process, warm: stop() settles and kills the prewarmed agent process', async () => {
  const s = scene();
  const daemon = await startDaemon({ home: s.home, agentRuntime: { env: s.env, killGraceMs: 300 } });
  const client = await operatorClient(s.home, 120_000);
  await requestOk(client, { kind: 'agents_install', dir: HELLO });
  client.close();
  assert.ok(await waitFor(() => daemon.ctx.runtime.runners.warmCount === 1, 30_000), 'hello has a warm process');
  assert.ok(await waitFor(() => warmHelloBelow(process.pid).length > 0, 30_000), 'the warm process runs below this process');
  const warm = warmHelloBelow(process.pid);
  await daemon.stop('test');
  assertCleanStop(s.home, 'test');
  for (const pid of warm) assert.equal(running(pid), false, `warm process ${pid} is gone`);
  assert.ok(await waitFor(() => warmHelloBelow(process.pid).length === 0 && !descendantsOf(process.pid).some(isLauncher), 30_000), 'no warm process and no launcher is left');
  s.cleanup();
});

test('in process, busy: an intent still running when the grace ends is answered, then stop() finishes', async () => {
  const s = scene();
  const daemon: RunningDaemon = await startDaemon({ home: s.home, shutdownGraceMs: 200, agentRuntime: { env: s.env, killGraceMs: 300 } });
  const client = await operatorClient(s.home, 120_000);
  await requestOk(client, { kind: 'agents_install', dir: verySlowAgent(s.dir) });
  const reply = client.request({ kind: 'submit_intent', text: 'take all the time you need', agent: 'slow' });
  const pids = await runningAgentPids(s.pidfile);
  await daemon.stop('test');
  const answer = await reply;
  assert.equal(answer.kind, 'intent_result', JSON.stringify(answer));
  assert.equal(answer.status, 'failed');
  assert.match(String(answer.text), /aborted/);
  client.close();
  assertCleanStop(s.home, 'test');
  for (const pid of pids) assert.equal(running(pid), false, `agent process ${pid} is gone`);
  s.cleanup();
});

test('binary, idle: SIGTERM exits 0 after daemon_stopped, the checkpoint and removing socket and pid file', async () => {
  const s = scene();
  const daemon = await spawnDaemon(s.home, s.env);
  assert.ok(existsSync(homePaths(s.home).lock), 'the pid file is written while serving');
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());
  assertCleanStop(s.home, 'SIGTERM');
  s.cleanup();
});

test('binary, warm: SIGTERM with a prewarmed agent and no recent intent finishes the shutdown', async () => {
  const s = scene();
  const daemon = await spawnDaemon(s.home, s.env);
  const pid = daemon.child.pid!;
  const client = await operatorClient(s.home, 120_000);
  await requestOk(client, { kind: 'agents_install', dir: HELLO });
  client.close();
  assert.ok(await waitFor(() => warmHelloBelow(pid).length > 0, 30_000), 'hello has a warm process');
  const below = descendantsOf(pid);
  assert.ok(below.some(isLauncher), 'the warm process was started by the launcher');
  assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());
  assertCleanStop(s.home, 'SIGTERM');
  for (const child of below) assert.ok(await waitFor(() => !running(child), 30_000), `process ${child} (warm agent or launcher) is gone`);
  s.cleanup();
});

test('binary, busy: SIGTERM with an intent in flight answers it, then exits 0', async () => {
  const s = scene();
  const daemon = await spawnDaemon(s.home, { ...s.env, COVENANT_SHUTDOWN_GRACE_MS: '200' });
  const client = await operatorClient(s.home, 120_000);
  await requestOk(client, { kind: 'agents_install', dir: verySlowAgent(s.dir) });
  const reply = client.request({ kind: 'submit_intent', text: 'take your time', agent: 'slow' });
  const pids = await runningAgentPids(s.pidfile);
  const exit = daemon.stop('SIGTERM');
  const answer = await reply;
  assert.equal(answer.kind, 'intent_result', JSON.stringify(answer));
  assert.equal(answer.status, 'failed');
  assert.match(String(answer.text), /aborted/);
  client.close();
  assert.equal(await exit, 0, daemon.stderr());
  assertCleanStop(s.home, 'SIGTERM');
  for (const pid of pids) assert.equal(running(pid), false, `agent process ${pid} is gone`);
  s.cleanup();
});
