// `covenant verify` and `covenant memory repair` through the compiled CLI (dist/, built by
// `npm test`) against an in-process daemon: exit codes, --json, and a drift item's
// `repair.command` run as the exact shell line it is.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { VerifyReport } from '../../src/protocol/index.js';
import { CLI_BIN, REPO_ROOT } from '../helpers/binaries.js';
import { fixture, writtenRecord, type Fixture } from './helpers.js';

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | null;
}

/** Runs a command asynchronously (the daemon under test lives in this process: spawnSync would block it). */
function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      let json: Record<string, unknown> | null = null;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = null;
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

const runCli = (args: string[], env: NodeJS.ProcessEnv) => run(process.execPath, [CLI_BIN, ...args], env);
const runShell = (line: string, env: NodeJS.ProcessEnv) => run('sh', ['-c', line], env);

describe('covenant verify / memory repair (compiled CLI)', () => {
  let fx: Fixture;
  let env: NodeJS.ProcessEnv;
  before(async () => {
    fx = await fixture();
    env = { PATH: process.env.PATH, HOME: fx.t.home, COVENANT_HOME: fx.t.home, COVENANT_LOG_LEVEL: 'warn' };
  });
  after(() => fx.stop());

  test('clean: exit 0, one JSON object, nothing on stderr', async () => {
    const result = await runCli(['verify', '--json'], env);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.stdout.trim().split('\n').length, 1);
    const report = result.json as unknown as VerifyReport;
    assert.equal(report.kind, 'verify_report');
    assert.equal(report.orphans_total, 0);
    const human = await runCli(['verify'], env);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^ok {3}memory_audit: /m);
    assert.match(human.stdout, /clean: no drift in the newest 100 rows/);
  });

  test('drift: exit 1; the repair command, run in a shell as printed, fixes it', async () => {
    const rec = writtenRecord(fx, { parent: randomUUID() });
    const result = await runCli(['verify', '--json', '--window', '10'], env);
    assert.equal(result.code, 1);
    assert.equal(result.stderr, '');
    const report = result.json as unknown as VerifyReport;
    assert.equal(report.window, 10);
    assert.equal(report.orphans_total, 1);
    const item = report.drift[0]!;
    assert.equal(item.kind, 'memory_stale_parent');
    assert.equal(item.id, rec.id);

    const human = await runCli(['verify'], env);
    assert.equal(human.code, 1);
    assert.match(human.stdout, /FAIL memory_parents/);
    assert.ok(human.stdout.includes(item.repair.command), human.stdout);

    // The exact line, with `covenant` standing for the compiled binary.
    const line = item.repair.command.replace(/^covenant /, `"${process.execPath}" "${CLI_BIN}" `);
    const dry = await runShell(`${line.replace(/ --apply$/, '')} --json`, env);
    assert.equal(dry.code, 0, dry.stdout + dry.stderr);
    assert.equal(JSON.parse(dry.stdout).applied, false);
    const applied = await runShell(line, env);
    assert.equal(applied.code, 0, applied.stdout + applied.stderr);
    assert.match(applied.stdout, /detach-parent .*: applied 1 change\(s\)/);

    assert.equal((await runCli(['verify', '--json'], env)).code, 0);
  });

  test('usage errors exit 2; refusals exit 1 with the error object', async () => {
    assert.equal((await runCli(['verify', '--window', '0'], env)).code, 2);
    assert.equal((await runCli(['verify', '--window', 'lots'], env)).code, 2);
    assert.equal((await runCli(['memory', 'repair', 'explode', 'x', '--reason', 'r'], env)).code, 2);
    assert.equal((await runCli(['memory', 'repair', 'delete', 'x'], env)).code, 2, '--reason is required');
    assert.equal((await runCli(['memory', 'repair', 'delete', 'x', '--reason', ' '], env)).code, 2);
    const missing = await runCli(['memory', 'repair', 'delete', randomUUID(), '--reason', 'r', '--apply', '--json'], env);
    assert.equal(missing.code, 1);
    assert.equal(missing.json?.kind, 'error');
    assert.equal(missing.json?.code, 'E_NOT_FOUND');
  });
});
