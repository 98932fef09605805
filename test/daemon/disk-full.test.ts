/**
 * Disk full (issue 8 item 4), on a small tmpfs holding $COVENANT_HOME: writes answer
 * E_STORAGE_FULL saying what to do, reads, ping and audit verify keep working, the log writer's
 * ENOSPC does not end the daemon, a start on the still-full disk is refused with E_STORAGE_FULL
 * (not a crash), and once space is freed nothing acknowledged is missing.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, statfsSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { WireMessage } from '../../src/ipc/index.js';
import { homePaths } from '../../src/home/index.js';
import { DAEMON_BIN, REPO_ROOT, operatorClient, spawnDaemon, type DaemonProcess } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';

/** Fills the filesystem at `dir` with one file until it refuses more (ENOSPC). */
function fill(path: string): void {
  const fd = openSync(path, 'w', 0o600);
  const chunk = Buffer.alloc(64 * 1024, 1);
  try {
    for (let size = chunk.length; size >= 1; ) {
      try {
        writeSync(fd, chunk, 0, size);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        size = Math.floor(size / 2);
      }
    }
  } finally {
    closeSync(fd);
  }
}

async function call(home: string, message: WireMessage): Promise<WireMessage> {
  const client = await operatorClient(home, 30_000);
  try {
    return await client.request(message);
  } finally {
    client.close();
  }
}

test('a full disk under $COVENANT_HOME: writes refused with E_STORAGE_FULL, reads served, nothing acknowledged lost', async (t) => {
  const { dir, cleanup } = tempDir('covenant-diskfull-');
  const mountPoint = join(dir, 'small');
  mkdirSync(mountPoint);
  if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=8m,mode=0700', 'tmpfs', mountPoint], { stdio: 'ignore' }).status !== 0) {
    t.skip('cannot mount a small tmpfs here (needs root or CAP_SYS_ADMIN) to fill a disk');
    cleanup();
    return;
  }
  const home = join(mountPoint, 'home');
  const filler = join(mountPoint, 'filler');
  const env = { PATH: process.env.PATH, HOME: dir };
  let daemon: DaemonProcess | null = null;
  try {
    daemon = await spawnDaemon(home, env);
    const acknowledged: string[] = [];
    for (const text of ['written before the disk filled up', 'a second record before the disk filled up']) {
      const reply = await call(home, { kind: 'memory_write', text, tier: 'longterm' });
      assert.equal(reply.kind, 'memory_written', JSON.stringify(reply));
      acknowledged.push(text);
    }
    assert.equal((await call(home, { kind: 'peers_add', name: 'before-the-fill' })).kind, 'peer_added');

    fill(filler);
    assert.equal(statfsSync(mountPoint).bavail, 0, 'the disk is full');

    // Writes: refused with the code and what to do, several times (each one tries to log and audit).
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const refused = await call(home, { kind: 'memory_write', text: `while full ${attempt} ${'x'.repeat(20_000)}`, tier: 'longterm' });
      assert.equal(refused.kind, 'error', JSON.stringify(refused));
      assert.equal(refused.code, 'E_STORAGE_FULL');
      assert.match(String(refused.message), /disk holding \$COVENANT_HOME is full.*free space there.*then retry/);
      const peer = await call(home, { kind: 'peers_add', name: `full-${attempt}` });
      assert.equal(peer.code, 'E_STORAGE_FULL', JSON.stringify(peer));
    }
    // Reads, capability-checked ones included (their audit rows use the released reserve), ping and audit verify keep working.
    assert.equal((await call(home, { kind: 'ping' })).kind, 'daemon_ping');
    const peers = await call(home, { kind: 'peers_list' });
    assert.ok(JSON.stringify(peers).includes('"before-the-fill@peer"'), JSON.stringify(peers));
    for (let attempt = 0; attempt < 20; attempt += 1) {
      const read = await call(home, { kind: 'memory_recent', tier: 'longterm', limit: 10 });
      assert.deepEqual((read.records as Array<{ text: string }>).map((record) => record.text).sort(), [...acknowledged].sort(), JSON.stringify(read));
    }
    // The reserve is gone (it carries those rows); a write is still refused although some space is free now.
    assert.equal(existsSync(homePaths(home).storageReserve), false);
    assert.equal((await call(home, { kind: 'memory_write', text: 'after the reserve was released', tier: 'longterm' })).code, 'E_STORAGE_FULL');
    const refusals = await call(home, { kind: 'audit_recent', kinds: ['request_rejected'], limit: 100 });
    assert.ok((refusals.events as Array<{ payload: { code: string } }>).filter((row) => row.payload.code === 'E_STORAGE_FULL').length >= 1, JSON.stringify(refusals).slice(0, 500));
    const verified = await call(home, { kind: 'audit_verify' });
    assert.equal((verified.report as { valid: boolean }).valid, true, JSON.stringify(verified));
    assert.equal(daemon.child.exitCode, null, 'covenantd is still running');

    // Stopping on the full disk still ends cleanly.
    assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());
    daemon = null;

    // A restart on the still-full disk: the space the reserve gave back lets it start, read-only.
    daemon = await spawnDaemon(home, env);
    const readOnly = await call(home, { kind: 'memory_recent', tier: 'longterm', limit: 10 });
    assert.equal((readOnly.records as unknown[]).length, acknowledged.length, JSON.stringify(readOnly));
    assert.equal((await call(home, { kind: 'memory_write', text: 'on the restart', tier: 'longterm' })).code, 'E_STORAGE_FULL');
    assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());
    daemon = null;

    // With not a byte left, a start is refused, clearly, and is not a crash.
    const lastBytes = join(mountPoint, 'last-bytes');
    fill(lastBytes);
    const refusedStart = spawnSync(process.execPath, [DAEMON_BIN, '--home', home, '--no-http'], { cwd: REPO_ROOT, env, encoding: 'utf8', timeout: 60_000 });
    assert.equal(refusedStart.status, 1, refusedStart.stderr);
    assert.match(refusedStart.stderr, /covenantd: the disk holding .* is full.*free space there.*then start covenantd again \(E_STORAGE_FULL\)/);
    assert.doesNotMatch(refusedStart.stderr, /SqliteError|at .*\.js:\d+/);

    // Space freed: the daemon serves again and every acknowledged write is there.
    rmSync(lastBytes);
    rmSync(filler);
    daemon = await spawnDaemon(home, env);
    const after = await call(home, { kind: 'memory_recent', tier: 'longterm', limit: 10 });
    assert.deepEqual(
      (after.records as Array<{ text: string }>).map((record) => record.text).sort(),
      [...acknowledged].sort(),
    );
    const written = await call(home, { kind: 'memory_write', text: 'written after space was freed', tier: 'longterm' });
    assert.equal(written.kind, 'memory_written', JSON.stringify(written));
    const reverified = await call(home, { kind: 'audit_verify' });
    assert.equal((reverified.report as { valid: boolean }).valid, true, JSON.stringify(reverified));

    // Log lines dropped while full are noted in the log once it can be written again.
    // (The first refusal gives up the reserve; the second fill takes that space too.)
    fill(filler);
    assert.equal((await call(home, { kind: 'peers_add', name: 'again' })).code, 'E_STORAGE_FULL');
    fill(lastBytes);
    for (let attempt = 0; attempt < 10; attempt += 1) {
      assert.equal((await call(home, { kind: 'peers_add', name: `again-${attempt}` })).code, 'E_STORAGE_FULL');
    }
    assert.match(daemon.stderr(), /cannot write .*covenantd\.log \(ENOSPC\); log lines are dropped/);
    rmSync(lastBytes);
    rmSync(filler);
    assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderr());
    daemon = null;
    const log = readFileSync(homePaths(home).daemonLog, 'utf8');
    assert.match(log, /"dropped_lines":\d+,"msg":"\d+ log lines were dropped while the log could not be written"/);
  } finally {
    if (daemon) await daemon.stop('SIGKILL');
    spawnSync('umount', [mountPoint], { stdio: 'ignore' });
    cleanup();
  }
});
