import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import {
  TrustedLocalRunner,
  buildAgentEnv,
  EARLY_ANSWER_SCAN_BYTES,
  type AgentRunRequest,
  type AgentRunResult,
} from '../../src/runtime/index.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from './process-state.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const FIXTURES = path.join(here, 'fixtures');
const REPO = path.resolve(here, '..', '..');
const GRACE_MS = 200;
/**
 * Timeout of the timeout tests: the agent must have started its grandchild and written its pid
 * file before it, on a machine whose cores are all busy.
 */
const HANG_TIMEOUT_MS = 5000;

const scratch = await mkdtemp(path.join(tmpdir(), 'covenant-runner-test-'));
after(async () => {
  await rm(scratch, { recursive: true, force: true });
});

let seq = 0;
function pidFile(): string {
  seq += 1;
  return path.join(scratch, `pids-${seq}.json`);
}

function request(entry: string, overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  return {
    agentId: 'fixture',
    packageDir: FIXTURES,
    runtime: 'node',
    entry,
    intent: { intent_id: `intent-${++seq}`, text: 'ping' },
    timeoutMs: 60_000,
    memoryMb: 128,
    ...overrides,
  };
}

async function readPids(file: string): Promise<{ agent: number; grandchild?: number }> {
  return JSON.parse(await readFile(file, 'utf8')) as { agent: number; grandchild?: number };
}

function assertFailure(
  result: AgentRunResult,
  reason: string,
): asserts result is Extract<AgentRunResult, { ok: false }> {
  assert.equal(result.ok, false, `expected failure ${reason}, got ${JSON.stringify(result)}`);
  if (!result.ok) {
    assert.equal(result.reason, reason, result.message);
    assert.match(result.message, /agent fixture/, 'the message names the agent');
  }
}

describe('TrustedLocalRunner', () => {
  it('runs the hello reference agent and returns its answer', async () => {
    const runner = new TrustedLocalRunner();
    const result = await runner.run(
      request('main.js', {
        agentId: 'hello',
        packageDir: path.join(REPO, 'agents', 'hello'),
        intent: { intent_id: 'i-1', text: 'world' },
      }),
    );
    assert.deepEqual(result.ok && result.answer, { text: 'hello from covenant: world', sources: [] });
    assert.ok(result.wallMs > 0 && result.wallMs < 60_000, 'wallMs is in milliseconds');
  });

  it('clears the environment to the allowlist and never passes secrets', async () => {
    const saved = { ...process.env };
    process.env.COVENANT_TOKEN = 'secret-covenant-token-value';
    process.env.FOO_SECRET = 'x-foo-secret-value';
    process.env.OPERATOR_TOKEN = 'operator-token-value';
    process.env.COVENANT_API_KEY = 'api-key-value';
    process.env.COVENANT_DB_PASSWORD = 'password-value';
    process.env.COVENANT_VISIBLE = 'visible-value';
    process.env.UNRELATED_VAR = 'unrelated-value';
    try {
      const runner = new TrustedLocalRunner();
      const result = await runner.run(request('env.js', { env: { COVENANT_EXTRA: 'from-request' } }));
      assert.ok(result.ok, JSON.stringify(result));
      const printed = result.answer.text;
      for (const secret of ['secret-covenant-token-value', 'x-foo-secret-value', 'operator-token-value', 'api-key-value', 'password-value', 'unrelated-value']) {
        assert.ok(!printed.includes(secret), `agent saw ${secret}`);
      }
      const env = JSON.parse(printed) as Record<string, string>;
      assert.equal(env.PATH, process.env.PATH);
      assert.equal(env.COVENANT_VISIBLE, undefined, 'COVENANT_* variables of the daemon never pass (allowlist)');
      assert.ok(!printed.includes('visible-value'));
      assert.equal(env.COVENANT_EXTRA, 'from-request');
      const allowed = new Set(['PATH', 'HOME', 'LANG', 'TZ', 'NODE_ENV', 'COVENANT_EXTRA']);
      for (const name of Object.keys(env)) {
        assert.ok(allowed.has(name) || /^LC_[A-Z]+$/.test(name), `unexpected variable ${name}`);
        assert.ok(!/TOKEN|SECRET|KEY|PASSWORD/i.test(name), `secret-looking variable ${name}`);
      }
    } finally {
      for (const name of Object.keys(process.env)) if (!(name in saved)) delete process.env[name];
      Object.assign(process.env, saved);
    }
  });

  it('buildAgentEnv is an allowlist: no COVENANT_* but the model settings, no secrets, plus request env', () => {
    const env = buildAgentEnv(
      {
        PATH: '/bin',
        HOME: '/h',
        LANG: 'C',
        LC_ALL: 'C.UTF-8',
        TZ: 'UTC',
        SHELL: '/bin/sh',
        NODE_OPTIONS: '--require /evil.js',
        LD_PRELOAD: '/evil.so',
        NODE_EXTRA_CA_CERTS: '/host/ca.pem',
        COVENANT_HOME: '/c',
        COVENANT_SOCKET: '/c/sock',
        COVENANT_peer_token: 't',
        COVENANT_SIGNING_KEY: 'k',
        COVENANT_OLLAMA_ENDPOINT: 'http://127.0.0.1:11434',
      },
      { COVENANT_MODEL_CHAT: 'm' },
    );
    assert.deepEqual(env, {
      PATH: '/bin',
      HOME: '/h',
      LANG: 'C',
      LC_ALL: 'C.UTF-8',
      TZ: 'UTC',
      COVENANT_OLLAMA_ENDPOINT: 'http://127.0.0.1:11434',
      COVENANT_MODEL_CHAT: 'm',
    });
  });

  it('takes only the first non-empty stdout line and keeps text, sources, files', async () => {
    const result = await new TrustedLocalRunner().run(request('multiline.js'));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.answer, { text: 'got ping', sources: ['a'], files: ['out.txt'] });
  });

  it('timeout: SIGTERM to the whole group kills the agent and its grandchild', async () => {
    const file = pidFile();
    const runner = new TrustedLocalRunner({ killGraceMs: GRACE_MS });
    const result = await runner.run(request('hang.js', { timeoutMs: HANG_TIMEOUT_MS, env: { COVENANT_FIXTURE_PIDFILE: file } }));
    assertFailure(result, 'timeout');
    assert.match(result.message, new RegExp(`timed out after ${HANG_TIMEOUT_MS} ms`));
    const pids = await readPids(file);
    assert.ok(pids.grandchild, 'fixture recorded its grandchild');
    assert.equal(alive(pids.agent), false, 'agent pid is gone');
    assert.equal(alive(pids.grandchild), false, 'grandchild pid is gone');
  });

  it('timeout: an agent that ignores SIGTERM is SIGKILLed after the grace period', async () => {
    const file = pidFile();
    const runner = new TrustedLocalRunner({ killGraceMs: GRACE_MS });
    const result = await runner.run(
      request('hang.js', { timeoutMs: HANG_TIMEOUT_MS, env: { COVENANT_FIXTURE_PIDFILE: file, COVENANT_FIXTURE_IGNORE_TERM: '1' } }),
    );
    assertFailure(result, 'timeout');
    assert.ok(result.wallMs >= HANG_TIMEOUT_MS + GRACE_MS - 20, `waited the grace period (${result.wallMs} ms)`);
    const pids = await readPids(file);
    assert.equal(alive(pids.agent), false, 'agent pid is gone');
    assert.equal(alive(pids.grandchild!), false, 'grandchild pid is gone');
  });

  it('kills what a successful agent left behind in its group', async () => {
    const file = pidFile();
    const result = await new TrustedLocalRunner().run(
      request('leave-grandchild.js', { env: { COVENANT_FIXTURE_PIDFILE: file } }),
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.answer.text, 'done: ping');
    const pids = await readPids(file);
    assert.equal(alive(pids.grandchild!), false, 'leftover grandchild is gone');
  });

  it('stdout flood beyond the cap: stdout_overflow and the group is gone', async () => {
    const file = pidFile();
    // A grace period far longer than any run under load: had it been waited, wallMs would show it.
    const runner = new TrustedLocalRunner({ maxStdoutBytes: 1024 * 1024, killGraceMs: 120_000 });
    const result = await runner.run(request('flood.js', { timeoutMs: 240_000, env: { COVENANT_FIXTURE_PIDFILE: file } }));
    assertFailure(result, 'stdout_overflow');
    assert.match(result.message, /1048576 bytes/);
    assert.ok(result.wallMs < 120_000, 'no grace period for an overflow');
    const pids = await readPids(file);
    assert.equal(alive(pids.agent), false, 'agent pid is gone');
  });

  it('malformed first line: malformed_output with at most 200 printed characters', async () => {
    const result = await new TrustedLocalRunner().run(request('malformed.js'));
    assertFailure(result, 'malformed_output');
    assert.match(result.message, /this is not json/);
    const quoted = /first line: ("(?:[^"\\]|\\.)*")/.exec(result.message);
    assert.ok(quoted, result.message);
    assert.ok((JSON.parse(quoted[1]!) as string).length <= 203, 'snippet is capped');
    assert.ok(!result.message.includes('y'.repeat(300)));
  });

  it('JSON of the wrong shape is malformed_output naming the field', async () => {
    const result = await new TrustedLocalRunner().run(request('wrong-shape.js'));
    assertFailure(result, 'malformed_output');
    assert.match(result.message, /text:/);
  });

  it('non-zero exit: nonzero_exit with the exit code and the stderr tail', async () => {
    const result = await new TrustedLocalRunner().run(request('fail.js'));
    assertFailure(result, 'nonzero_exit');
    assert.equal(result.exitCode, 3);
    assert.match(result.message, /exited with code 3/);
    assert.match(result.message, /boom: the widget could not be frobnicated/);
    const stderrPart = result.message.slice(result.message.indexOf('stderr: ') + 'stderr: '.length);
    assert.ok(stderrPart.length <= 500, `stderr tail is at most 500 chars (${stderrPart.length})`);
  });

  it('spawn error: spawn_failed naming the agent', async () => {
    const result = await new TrustedLocalRunner({ python3Command: '/nonexistent/python3' }).run(
      request('answer.py', { runtime: 'python3' }),
    );
    assertFailure(result, 'spawn_failed');
    const missingBin = await new TrustedLocalRunner().run(request('no-such-binary', { runtime: 'bin' }));
    assertFailure(missingBin, 'spawn_failed');
    const escaping = await new TrustedLocalRunner().run(request('../escape.js'));
    assertFailure(escaping, 'spawn_failed');
    assert.match(escaping.message, /escapes the package/);
  });

  it('abort signal: aborted, and the whole group is killed', async () => {
    const file = pidFile();
    const controller = new AbortController();
    const runner = new TrustedLocalRunner({ killGraceMs: GRACE_MS });
    const pending = runner.run(
      request('hang.js', { timeoutMs: 240_000, env: { COVENANT_FIXTURE_PIDFILE: file }, signal: controller.signal }),
    );
    assert.ok(await waitFor(() => existsSync(file)), 'the agent started its grandchild');
    controller.abort();
    const result = await pending;
    assertFailure(result, 'aborted');
    assert.ok(result.wallMs < 240_000, 'ended by the abort, not the timeout');
    const pids = await readPids(file);
    assert.equal(alive(pids.agent), false, 'agent pid is gone');
    assert.equal(alive(pids.grandchild!), false, 'grandchild pid is gone');

    const already = new AbortController();
    already.abort();
    assertFailure(await runner.run(request('pid.js', { signal: already.signal })), 'aborted');
  });

  it('onAnswer is told the answer while the process still runs; its exit still decides the outcome', async () => {
    const runner = new TrustedLocalRunner({ killGraceMs: GRACE_MS });
    const stop = new AbortController();
    const told: unknown[] = [];
    // The agent answers and never exits by itself: only a run that was told before the exit can
    // be aborted here, and the abort makes the run fail although an answer was read.
    const result = await runner.run(
      request('answer-then-hang.js', {
        signal: stop.signal,
        onAnswer: (answer) => {
          told.push(answer);
          stop.abort();
        },
      }),
    );
    assert.deepEqual(told, [{ text: 'early' }]);
    assertFailure(result, 'aborted');
  });

  it('onAnswer: told once, with the answer the run returns, and a throwing hook changes nothing', async () => {
    const runner = new TrustedLocalRunner();
    const told: unknown[] = [];
    const result = await runner.run(
      request('multiline.js', {
        onAnswer: (answer) => {
          told.push(answer);
          throw new Error('not the run\'s business');
        },
      }),
    );
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(told, [result.answer]);
  });

  it('onAnswer: a first line longer than the early scan is not looked for; the run still answers it at the exit', async () => {
    const told: unknown[] = [];
    const result = await new TrustedLocalRunner().run(request('long-first-line.js', { onAnswer: (answer) => told.push(answer) }));
    assert.ok(result.ok, JSON.stringify(result).slice(0, 300));
    assert.ok(result.answer.text.length > EARLY_ANSWER_SCAN_BYTES, `answer of ${result.answer.text.length} characters`);
    assert.ok(result.answer.text.startsWith('ping:yyy'));
    assert.deepEqual(told, []);
  });

  it('python3 runtime', async (t) => {
    try {
      execFileSync('python3', ['-c', 'pass'], { stdio: 'ignore' });
    } catch {
      t.skip('python3 not available');
      return;
    }
    const result = await new TrustedLocalRunner().run(request('answer.py', { runtime: 'python3' }));
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.answer, { text: 'py: ping', sources: ['python'] });
  });

  it('warm pool: two intents served by two different pre-spawned processes; close() leaves none', async () => {
    const runner = new TrustedLocalRunner({ warm: true, killGraceMs: GRACE_MS });
    const launch = { agentId: 'fixture', packageDir: FIXTURES, runtime: 'node' as const, entry: 'pid.js', memoryMb: 128 };
    runner.prewarm(launch);
    const firstWarm = runner.warmPid('fixture', FIXTURES);
    assert.ok(firstWarm, 'prewarm started a process');

    const one = await runner.run(request('pid.js'));
    assert.ok(one.ok, JSON.stringify(one));
    assert.equal(Number(one.answer.text), firstWarm, 'first intent used the pre-spawned process');

    // The replacement is spawned in the background.
    assert.ok(await waitFor(() => runner.warmPid('fixture', FIXTURES) !== undefined));
    const secondWarm = runner.warmPid('fixture', FIXTURES);
    assert.ok(secondWarm && secondWarm !== firstWarm, 'a fresh replacement is waiting');

    const two = await runner.run(request('pid.js'));
    assert.ok(two.ok, JSON.stringify(two));
    assert.equal(Number(two.answer.text), secondWarm, 'second intent used the replacement');
    assert.notEqual(one.answer.text, two.answer.text, 'each intent gets its own process');
    assert.equal(alive(firstWarm), false);
    assert.equal(alive(secondWarm), false);

    assert.ok(await waitFor(() => runner.warmPid('fixture', FIXTURES) !== undefined));
    const thirdWarm = runner.warmPid('fixture', FIXTURES);
    assert.ok(thirdWarm && alive(thirdWarm), 'a third process is waiting on stdin');

    await runner.close();
    assert.equal(runner.warmCount, 0);
    assert.equal(alive(thirdWarm), false, 'close() killed the waiting process');

    // After close, runs still work but nothing is kept warm.
    const cold = await runner.run(request('pid.js'));
    assert.ok(cold.ok);
    assert.equal(runner.warmCount, 0, 'a closed runner schedules no refill');
  });

  it('warm pool: a run without a waiting process spawns fresh; warm off keeps nothing', async () => {
    const warm = new TrustedLocalRunner({ warm: (req) => req.agentId === 'fixture' });
    const first = await warm.run(request('pid.js'));
    assert.ok(first.ok);
    assert.ok(await waitFor(() => warm.warmCount === 1));
    const other = await warm.run(request('pid.js', { agentId: 'other' }));
    assert.ok(other.ok);
    // A refill is scheduled when a run starts, so one for "other" would be there by now.
    assert.equal(warm.warmCount, 1, 'the predicate keeps "other" cold');
    const pid = warm.warmPid('fixture', FIXTURES)!;
    await warm.close();
    assert.equal(alive(pid), false);

    const cold = new TrustedLocalRunner();
    assert.ok((await cold.run(request('pid.js'))).ok);
    assert.equal(cold.warmCount, 0);
  });
});
