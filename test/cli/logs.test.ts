/** `covenant logs [-f] [-n N]` (issue 10, item 17). */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { CLI_BIN, REPO_ROOT, runCli, spawnDaemon } from '../helpers/binaries.js';
import { formatLogLine } from '../../src/core/log-format.js';
import { tempHome } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';

test('logs prints the last N lines of the daemon log; -f follows it until Ctrl-C; -f with --json is a usage error', { timeout: 120_000 }, async () => {
  const { home, cleanup } = tempHome();
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'info' };
  const missing = runCli(['logs', '--json'], env);
  assert.equal(missing.code, 1);
  assert.equal(missing.json!.code, 'E_NOT_FOUND');
  assert.match(String(missing.json!.message), /start it with `covenantd`/);

  const daemon = await spawnDaemon(home, env);
  try {
    const json = runCli(['logs', '-n', '2', '--json'], env);
    assert.equal(json.code, 0, json.stdout);
    assert.equal(json.json!.kind, 'daemon_log');
    const lines = json.json!.lines as string[];
    assert.equal(lines.length, 2);
    for (const line of lines) assert.equal(typeof (JSON.parse(line) as { msg: unknown }).msg, 'string');
    // Without --json a person reads them: time, level, message, fields (not the JSON line).
    const human = runCli(['logs', '-n', '1'], env);
    assert.equal(human.stdout, formatLogLine(lines[1]!));
    const last = JSON.parse(lines[1]!) as { msg: string; time: number };
    assert.ok(human.stdout.startsWith(`${new Date(last.time).toISOString().slice(11, 23)} INFO  ${last.msg.split('\n')[0]}`), human.stdout);
    assert.ok(!human.stdout.includes('"msg"'), human.stdout);
    assert.equal(runCli(['logs', '-f', '--json'], env).code, 2);

    const follow = spawn(process.execPath, [CLI_BIN, 'logs', '-f', '-n', '1'], { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    follow.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => follow.once('exit', (code) => resolve(code)));
    assert.ok(await waitFor(() => out.includes('\n')), 'the last line');
    await daemon.stop(); // covenantd logs its shutdown: pushed to the follower
    assert.ok(await waitFor(() => /INFO {2}covenantd stopped/.test(out)), `the shutdown lines, readable: ${out}`);
    assert.ok(!out.includes('"msg"'), out);
    follow.kill('SIGINT');
    assert.equal(await exited, 0);
  } finally {
    await daemon.stop();
    cleanup();
  }
});
