import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CovenantError } from '../../src/core/index.js';
import { startDaemon } from '../../src/daemon/index.js';
import { homePaths } from '../../src/home/index.js';
import { runCli, spawnDaemon } from '../helpers/binaries.js';
import { tempDir, tempHome } from '../helpers/temp-home.js';

async function expectRefusal(home: string, pattern: RegExp): Promise<void> {
  await assert.rejects(startDaemon({ home }), (error: unknown) => {
    assert.ok(error instanceof CovenantError);
    assert.equal(error.code, 'E_HOME_UNSAFE');
    assert.match(error.message, pattern);
    return true;
  });
}

test('first start creates the layout with private modes', async () => {
  const { home, cleanup } = tempHome();
  const daemon = await startDaemon({ home });
  const paths = homePaths(home);
  const { statSync } = await import('node:fs');
  assert.equal(statSync(home).mode & 0o777, 0o700);
  assert.equal(statSync(paths.localKey).mode & 0o777, 0o600);
  assert.equal(statSync(paths.localKey).size, 32);
  assert.equal(statSync(paths.operatorToken).mode & 0o777, 0o600);
  const schema = daemon.ctx.db.pragma('user_version', { simple: true }) as number;
  assert.ok(schema >= 1);
  const recorded = daemon.ctx.db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number };
  assert.equal(recorded.v, schema);
  assert.equal(daemon.ctx.db.pragma('journal_mode', { simple: true }), 'wal');
  await daemon.stop();
  assert.equal(existsSync(paths.sock), false, 'shutdown removes the socket');
  cleanup();
});

test('a key file with loose permissions refuses the start and says how to fix it', async () => {
  const { home, cleanup } = tempHome();
  await (await startDaemon({ home })).stop();
  chmodSync(homePaths(home).localKey, 0o644);
  await expectRefusal(home, /chmod 600 .*local\.key/);
  cleanup();
});

test('a symlinked operator token refuses the start', async () => {
  const { home, cleanup } = tempHome();
  await (await startDaemon({ home })).stop();
  const paths = homePaths(home);
  renameSync(paths.operatorToken, `${paths.operatorToken}.real`);
  symlinkSync(`${paths.operatorToken}.real`, paths.operatorToken);
  await expectRefusal(home, /symlink/);
  cleanup();
});

test('a home readable by others refuses the start', async () => {
  const { home, cleanup } = tempHome();
  mkdirSync(home, { mode: 0o755 });
  chmodSync(home, 0o755);
  await expectRefusal(home, /chmod 700/);
  cleanup();
});

test('a second daemon on the same home refuses to start', async () => {
  const { home, cleanup } = tempHome();
  const first = await startDaemon({ home });
  await assert.rejects(startDaemon({ home }), (error: unknown) => error instanceof CovenantError && error.code === 'E_ALREADY_RUNNING');
  await first.stop();
  cleanup();
});

test('a stale pid file and socket from a dead daemon are taken over', async () => {
  const { home, cleanup } = tempHome();
  await (await startDaemon({ home })).stop();
  const paths = homePaths(home);
  writeFileSync(paths.lock, '999999\n', { mode: 0o600 });
  writeFileSync(paths.sock, 'stale', { mode: 0o600 });
  const daemon = await startDaemon({ home });
  await daemon.stop();
  cleanup();
});

test('daemon and CLI write nothing outside COVENANT_HOME', async () => {
  const { dir, cleanup } = tempDir();
  const userHome = join(dir, 'user-home');
  const cwd = join(dir, 'cwd');
  const tmp = join(dir, 'tmp');
  for (const d of [userHome, cwd, tmp]) mkdirSync(d);
  const home = join(dir, 'covenant-home');
  const env = { PATH: process.env.PATH, HOME: userHome, TMPDIR: tmp, COVENANT_HOME: home };
  const daemon = await spawnDaemon(home, env, ['--no-http'], cwd);
  for (const args of [['version'], ['ping', '--json'], ['intent', 'hello'], ['audit', 'verify', '--json']]) {
    const result = runCli(args, env, { cwd });
    assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
  }
  assert.equal(await daemon.stop(), 0);
  assert.deepEqual(readdirSync(dir).sort(), ['covenant-home', 'cwd', 'tmp', 'user-home']);
  assert.deepEqual(readdirSync(userHome), []);
  assert.deepEqual(readdirSync(cwd), []);
  assert.deepEqual(readdirSync(tmp), []);
  cleanup();
});
