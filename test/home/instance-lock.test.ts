/**
 * The single-instance lock (issue 8 item 5): atomic, not fooled by pid reuse, and a clear
 * refusal on a read-only home.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CovenantError } from '../../src/core/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { homePaths } from '../../src/home/index.js';
import { DAEMON_BIN, REPO_ROOT } from '../helpers/binaries.js';
import { tempDir, tempHome } from '../helpers/temp-home.js';
import { pidAlive } from '../helpers/wait.js';

type Outcome = { serving: true; child: ChildProcess; exited: Promise<number | null> } | { serving: false; code: number | null; stderr: string };

/** Starts the real covenantd; settles once it serves (its "listening" log line) or has exited. */
function startRacer(home: string): Promise<Outcome> {
  const child = spawn(process.execPath, [DAEMON_BIN, '--home', home, '--no-http'], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: home },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let stderr = '';
  return new Promise((resolve) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('"msg":"covenantd listening"')) resolve({ serving: true, child, exited });
    });
    void exited.then((code) => resolve({ serving: false, code, stderr }));
  });
}

/** A process unrelated to covenant that stays alive until killed. */
function bystander(): { pid: number; stop: () => Promise<void> } {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)'], { stdio: 'ignore' });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    pid: child.pid!,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test('two covenantd started at the same moment on one home: exactly one serves, 50 times out of 50', async () => {
  const { dir, cleanup } = tempDir('covenant-lock-race-');
  for (let round = 0; round < 50; round += 1) {
    // Even rounds race on a fresh home (the lock's name is created in the race too), odd rounds on a used one.
    const home = join(dir, `home-${Math.floor(round / 2)}`);
    const outcomes = await Promise.all([startRacer(home), startRacer(home)]);
    const serving = outcomes.filter((outcome) => outcome.serving);
    try {
      assert.equal(serving.length, 1, `round ${round}: ${serving.length} daemons served; ${JSON.stringify(outcomes.map((o) => (o.serving ? 'serving' : o.stderr)))}`);
      const refused = outcomes.find((outcome) => !outcome.serving);
      assert.ok(refused && !refused.serving);
      assert.equal(refused.code, 1, `round ${round}: ${refused.stderr}`);
      assert.match(refused.stderr, /another covenantd .*serving.*\(E_ALREADY_RUNNING\)/);
    } finally {
      for (const winner of serving) {
        if (!winner.serving) continue;
        winner.child.kill('SIGTERM');
        assert.equal(await winner.exited, 0, `round ${round}: the winner stops cleanly`);
      }
    }
  }
  cleanup();
});

test('a pid file naming a live process that is not covenantd does not block the start', async () => {
  const { home, cleanup } = tempHome();
  await (await startDaemon({ home })).stop();
  const paths = homePaths(home);
  const other = bystander();
  try {
    writeFileSync(paths.lock, `${other.pid}\n`, { mode: 0o600 });
    const daemon = await startDaemon({ home });
    assert.equal(readFileSync(paths.lock, 'utf8').trim(), String(process.pid), 'the pid file now names the serving daemon');
    await daemon.stop();
    assert.equal(existsSync(paths.lock), false, 'the pid file is removed on stop');
    assert.ok(pidAlive(other.pid), 'the unrelated process was left alone');
  } finally {
    await other.stop();
    cleanup();
  }
});

test('a second daemon is refused naming the pid that really holds the lock', async () => {
  const { home, cleanup } = tempHome();
  const first = await startRacer(home);
  assert.ok(first.serving);
  try {
    const second = await startRacer(home);
    assert.ok(!second.serving);
    assert.equal(second.code, 1);
    assert.match(second.stderr, new RegExp(`another covenantd \\(pid ${first.child.pid}\\) is already serving .*kill ${first.child.pid}.*\\(E_ALREADY_RUNNING\\)`));
  } finally {
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0);
    cleanup();
  }
});

test('in one process a second start on the same home is refused', async () => {
  const { home, cleanup } = tempHome();
  const first = await startDaemon({ home });
  await assert.rejects(startDaemon({ home }), (error: unknown) => error instanceof CovenantError && error.code === 'E_ALREADY_RUNNING');
  await first.stop();
  const again = await startDaemon({ home });
  await again.stop();
  cleanup();
});

test('a read-only home is refused with E_HOME_NOT_WRITABLE and what to do, not a raw EROFS', async (t) => {
  const { dir, cleanup } = tempDir('covenant-rohome-');
  const mountPoint = join(dir, 'ro');
  mkdirSync(mountPoint);
  const mount = (args: string[]) => spawnSyncOk('mount', args);
  if (!mount(['-t', 'tmpfs', '-o', 'size=4m,mode=0700', 'tmpfs', mountPoint])) {
    t.skip('cannot mount a tmpfs here (needs root or CAP_SYS_ADMIN) to make a read-only home');
    cleanup();
    return;
  }
  try {
    // A home that served once, then its filesystem became read-only; and a home that never existed.
    const used = join(mountPoint, 'used');
    await (await startDaemon({ home: used })).stop();
    assert.ok(mount(['-o', 'remount,ro', mountPoint]), 'remount read-only');
    for (const home of [used, join(mountPoint, 'fresh')]) {
      const refused = await startRacer(home);
      assert.equal(refused.serving, false);
      assert.ok(!refused.serving);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /read-only filesystem.*remount it read-write or start covenantd with --home on a writable disk \(E_HOME_NOT_WRITABLE\)/);
      assert.doesNotMatch(refused.stderr, /EROFS:/);
    }
  } finally {
    spawnSyncOk('umount', [mountPoint]);
    cleanup();
  }
});

function spawnSyncOk(command: string, args: string[]): boolean {
  return spawnSync(command, args, { stdio: 'ignore' }).status === 0;
}
