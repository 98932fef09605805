// The one process supervisor with two fake backends that differ the way the real ones do: one
// lets the supervisor signal the process group (trusted-local, bwrap) and prepares at once; the
// other prepares asynchronously (a bundle) and delivers signals its own way (runsc kill) to the
// agent only. The kill ladder, the caps, the sweep of leftovers and the warm pool must come out
// the same for both.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import {
  AgentSupervisor,
  classifyAgentLine,
  parseAnswer,
  type Planned,
  type Prepared,
  type SupervisorBackend,
} from '../../src/runtime/supervisor/index.js';
import type { AgentLaunch, AgentRunRequest, AgentRunResult } from '../../src/runtime/runner.js';
import { waitFor } from '../helpers/wait.js';
import { alive } from './process-state.js';

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');
const GRACE_MS = 300;
const scratch = mkdtempSync(path.join(tmpdir(), 'covenant-supervisor-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let seq = 0;
const pidFile = () => path.join(scratch, `pids-${++seq}.json`);
const readPids = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { agent: number; grandchild?: number };

interface FakePrepared extends Prepared {
  pidFile: string;
}

type Kind = 'group-signalled' | 'self-signalled';

/** A backend that runs fixtures/<entry> with node and writes what the supervisor asks of it to `log`. */
function fakeBackend(kind: Kind, log: string[]): SupervisorBackend<Planned & { launch: AgentLaunch }, FakePrepared> {
  const prepare = (launch: AgentLaunch, warm: boolean): FakePrepared => {
    log.push(warm ? 'prepare warm' : 'prepare run');
    const file = launch.env?.COVENANT_FIXTURE_PIDFILE ?? pidFile();
    return {
      pidFile: file,
      spawn: {
        command: process.execPath,
        args: [path.join(FIXTURES, launch.entry)],
        cwd: FIXTURES,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...launch.env, COVENANT_FIXTURE_PIDFILE: file },
      },
    };
  };
  const common = {
    name: 'trusted-local' as const,
    plan: (launch: AgentLaunch) => ({ fingerprint: launch.entry, launch }),
    cleanup: async (_prepared: FakePrepared, abnormal: boolean) => {
      log.push(abnormal ? 'cleanup abnormal' : 'cleanup clean');
    },
    spawnFailure: (err: NodeJS.ErrnoException) => ({ reason: 'spawn_failed' as const, message: err.message }),
  };
  if (kind === 'group-signalled') {
    return { ...common, killed: 'its process group', prepare: (plan, use) => prepare(plan.launch, use.intentId === undefined) };
  }
  return {
    ...common,
    killed: 'its sandbox',
    killSettleMs: 200,
    prepare: async (plan, use) => {
      await new Promise((resolve) => setImmediate(resolve)); // like writing a bundle
      return prepare(plan.launch, use.intentId === undefined);
    },
    // Like `runsc kill`: reaches the agent only, never the rest of its group.
    signal: async (prepared, signal) => {
      log.push(`signal ${signal}`);
      if (!existsSync(prepared.pidFile)) return false;
      try {
        process.kill(readPids(prepared.pidFile).agent, signal);
        return true;
      } catch {
        return false;
      }
    },
  };
}

function request(entry: string, overrides: Partial<AgentRunRequest> = {}): AgentRunRequest {
  return {
    agentId: 'fixture',
    packageDir: FIXTURES,
    runtime: 'node',
    entry,
    intent: { intent_id: `i-${++seq}`, text: 'ping' },
    timeoutMs: 240_000,
    memoryMb: 128,
    ...overrides,
  };
}

function assertFailure(result: AgentRunResult, reason: string): asserts result is Extract<AgentRunResult, { ok: false }> {
  assert.equal(result.ok, false, `expected ${reason}, got ${JSON.stringify(result)}`);
  if (!result.ok) assert.equal(result.reason, reason, result.message);
}

for (const kind of ['group-signalled', 'self-signalled'] as const) {
  const killed = kind === 'group-signalled' ? 'its process group' : 'its sandbox';

  describe(`the supervisor with a ${kind} backend`, () => {
    it('abort: SIGTERM, the whole grace period, SIGKILL; the agent and its grandchild are gone; cleanup is told', async () => {
      const log: string[] = [];
      const runner = new AgentSupervisor(fakeBackend(kind, log), { killGraceMs: GRACE_MS });
      const file = pidFile();
      const controller = new AbortController();
      const pending = runner.run(
        request('hang.js', { signal: controller.signal, env: { COVENANT_FIXTURE_PIDFILE: file, COVENANT_FIXTURE_IGNORE_TERM: '1' } }),
      );
      assert.ok(await waitFor(() => existsSync(file)), 'the agent started its grandchild');
      const aborted = performance.now();
      controller.abort();
      const result = await pending;
      assertFailure(result, 'aborted');
      assert.equal(result.message, `agent fixture: run aborted; ${killed} was killed`);
      assert.ok(performance.now() - aborted >= GRACE_MS - 20, 'an agent that ignores SIGTERM gets the whole grace period');
      const pids = readPids(file);
      assert.equal(alive(pids.agent), false, 'agent is gone');
      assert.equal(alive(pids.grandchild!), false, 'grandchild is gone');
      if (kind === 'self-signalled') assert.deepEqual(log.filter((l) => l.startsWith('signal')), ['signal SIGTERM', 'signal SIGKILL']);
      assert.equal(log.at(-1), 'cleanup abnormal');
    });

    it('stdout over the cap: stdout_overflow at once, with no SIGTERM and no grace period', async () => {
      const log: string[] = [];
      // A grace period far longer than any run under load: had it been waited, wallMs would show it.
      const runner = new AgentSupervisor(fakeBackend(kind, log), { killGraceMs: 120_000, maxStdoutBytes: 1024 * 1024 });
      const file = pidFile();
      const result = await runner.run(request('flood.js', { env: { COVENANT_FIXTURE_PIDFILE: file } }));
      assertFailure(result, 'stdout_overflow');
      assert.equal(result.message, `agent fixture: stdout exceeded 1048576 bytes; ${killed} was killed`);
      assert.ok(result.wallMs < 120_000, 'no grace period for an overflow');
      assert.equal(alive(readPids(file).agent), false, 'agent is gone');
      assert.ok(!log.includes('signal SIGTERM'), log.join(', '));
      assert.equal(log.at(-1), 'cleanup abnormal');
    });

    it('a clean exit: the answer, what the agent left in its group is killed, cleanup is clean', async () => {
      const log: string[] = [];
      const runner = new AgentSupervisor(fakeBackend(kind, log));
      const file = pidFile();
      const result = await runner.run(request('leave-grandchild.js', { env: { COVENANT_FIXTURE_PIDFILE: file } }));
      assert.ok(result.ok, JSON.stringify(result));
      assert.equal(result.answer.text, 'done: ping');
      assert.equal(alive(readPids(file).grandchild!), false, 'leftover grandchild is gone');
      assert.deepEqual(log, ['prepare run', 'cleanup clean']);
    });

    it('close() aborts a run in flight and waits for it', async () => {
      const log: string[] = [];
      const runner = new AgentSupervisor(fakeBackend(kind, log), { killGraceMs: GRACE_MS });
      const file = pidFile();
      const pending = runner.run(request('hang.js', { env: { COVENANT_FIXTURE_PIDFILE: file } }));
      assert.ok(await waitFor(() => existsSync(file)));
      await runner.close();
      assert.equal(alive(readPids(file).agent), false, 'close() returned after the agent was gone');
      assertFailure(await pending, 'aborted');
    });

    it('warm: one process waits for the intent, serves exactly one, and is replaced; close() leaves none', async () => {
      const log: string[] = [];
      const runner = new AgentSupervisor(fakeBackend(kind, log), { warm: true });
      const launch = { agentId: 'fixture', packageDir: FIXTURES, runtime: 'node' as const, entry: 'pid.js', memoryMb: 128 };
      runner.prewarm(launch);
      assert.equal(runner.warmCount, 1);
      assert.ok(await waitFor(() => runner.warmPid('fixture', FIXTURES) !== undefined));
      const first = runner.warmPid('fixture', FIXTURES)!;
      const one = await runner.run(request('pid.js'));
      assert.ok(one.ok, JSON.stringify(one));
      assert.equal(Number(one.answer.text), first, 'the intent went to the waiting process');
      assert.equal(alive(first), false);
      assert.ok(await waitFor(() => runner.warmPid('fixture', FIXTURES) !== undefined), 'a replacement is prepared');
      const second = runner.warmPid('fixture', FIXTURES)!;
      assert.notEqual(second, first);
      await runner.close();
      assert.equal(runner.warmCount, 0);
      assert.equal(alive(second), false, 'close() killed the waiting process');
      assert.deepEqual(log, ['prepare warm', 'cleanup clean', 'prepare warm', ...(kind === 'self-signalled' ? ['signal SIGKILL'] : []), 'cleanup abnormal']);
    });
  });
}

describe('the stdio protocol', () => {
  it('tells an answer line from a host call line', () => {
    assert.deepEqual(classifyAgentLine({ text: 'hi', sources: ['a'] }), { kind: 'answer', answer: { text: 'hi', sources: ['a'] } });
    assert.deepEqual(classifyAgentLine({ call: 'model.chat', id: 1, params: { prompt: 'x' } }), {
      kind: 'call',
      call: { call: 'model.chat', id: 1, params: { prompt: 'x' } },
    });
    assert.deepEqual(classifyAgentLine({ call: '', id: 1 }), { kind: 'other' });
    assert.deepEqual(classifyAgentLine({ txt: 'close' }), { kind: 'other' });
  });

  it('a host call where the answer is expected is malformed output that says so', () => {
    const parsed = parseAnswer(`${JSON.stringify({ call: 'model.chat', id: 1 })}\n`);
    assert.equal(parsed.ok, false);
    if (!parsed.ok) assert.match(parsed.problem, /^a host call \("model\.chat"\) came before any answer, and host calls are not served to this agent/);
  });
});
