// The supervisor's state machine (SPEC 11) with a fake connection, a driven clock and driven
// timers: no process, no sleeping.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { McpError, ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { CovenantError } from '../../src/core/index.js';
import {
  backoffDelayMs,
  McpServerConfigSchema,
  ServerSupervisor,
  type McpCallResult,
  type McpConnection,
  type McpTool,
  type SupervisorTimers,
} from '../../src/mcp/index.js';

const codeOf = (error: unknown): string | null => (error instanceof CovenantError ? error.code : null);

interface FakeConnection extends McpConnection {
  crash(reason: string): void;
  changeTools(tools: McpTool[]): void;
  closedByUs: boolean;
  /** Resolves or rejects the next call. */
  pendingCall: { resolve(r: McpCallResult): void; name: string } | null;
  calls: string[];
}

function fakeConnection(tools: McpTool[]): FakeConnection {
  const closeListeners: Array<(reason: string) => void> = [];
  const changeListeners: Array<() => void> = [];
  let closed = false;
  let listed = tools;
  let rejectPending: ((e: Error) => void) | null = null;
  const connection: FakeConnection = {
    pid: 4242,
    closedByUs: false,
    pendingCall: null,
    calls: [],
    listTools: async () => listed,
    callTool: (name) =>
      new Promise((resolve, reject) => {
        connection.calls.push(name);
        connection.pendingCall = { resolve, name };
        rejectPending = reject;
      }),
    close: async () => {
      connection.closedByUs = true;
      closed = true;
    },
    isClosed: () => closed,
    onClose: (listener) => closeListeners.push(listener),
    onToolsChanged: (listener) => changeListeners.push(listener),
    crash(reason) {
      closed = true;
      for (const l of closeListeners) l(reason);
      rejectPending?.(new McpError(ErrorCode.ConnectionClosed, 'Connection closed'));
    },
    changeTools(next) {
      listed = next;
      for (const l of changeListeners) l();
    },
  };
  return connection;
}

const tool = (name: string): McpTool => ({ name, inputSchema: { type: 'object' } });

function harness(options: { connect?: () => Promise<McpConnection> } = {}) {
  let now = 1_000_000;
  const timers: Array<{ fn: () => void; at: number; handle: number }> = [];
  let nextHandle = 0;
  const fakeTimers: SupervisorTimers = {
    set: (fn, ms) => {
      const handle = nextHandle++;
      timers.push({ fn, at: now + ms, handle });
      return handle;
    },
    clear: (handle) => {
      const index = timers.findIndex((t) => t.handle === handle);
      if (index >= 0) timers.splice(index, 1);
    },
  };
  const connections: FakeConnection[] = [];
  const published: Array<{ server: string; tools: string[] }> = [];
  const notes: string[] = [];
  const config = McpServerConfigSchema.parse({ name: 'ev', command: 'node' });
  const supervisor = new ServerSupervisor(config, {
    connect:
      options.connect ??
      (async () => {
        const c = fakeConnection([tool('echo'), tool('get-sum')]);
        connections.push(c);
        return c;
      }),
    now: () => now,
    random: () => 0.5,
    timers: fakeTimers,
    onTools: (server, tools) => published.push({ server, tools: tools.map((t) => t.name) }),
    note: (line) => notes.push(line),
  });
  return {
    supervisor,
    connections,
    published,
    notes,
    timers,
    now: () => now,
    advance(ms: number) {
      now += ms;
    },
    /** Fires the next due timer (advancing the clock to it) and lets its launch settle. */
    async fireNext() {
      timers.sort((a, b) => a.at - b.at);
      const next = timers.shift();
      assert.ok(next, 'a timer is scheduled');
      now = Math.max(now, next.at);
      next.fn();
      await settle();
    },
  };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

test('backoff doubles from 500 ms to at most 30 s with jitter between half and all of it', () => {
  assert.equal(backoffDelayMs(1, 0), 250);
  assert.equal(backoffDelayMs(1, 0.999999), 500);
  assert.equal(backoffDelayMs(2, 0.5), 750);
  assert.equal(backoffDelayMs(7, 1 - 1e-9), 30_000);
  assert.equal(backoffDelayMs(30, 0), 15_000);
});

test('start: starting, then up with the listed tools published', async () => {
  const h = harness();
  const started = h.supervisor.start();
  assert.equal(h.supervisor.state, 'starting');
  await started;
  assert.equal(h.supervisor.state, 'up');
  assert.deepEqual(h.published.at(-1), { server: 'ev', tools: ['echo', 'get-sum'] });
  assert.equal(h.supervisor.restarts, 0);
});

test('a crash goes to backoff with a jittered delay, then up again on the timer', async () => {
  const h = harness();
  await h.supervisor.start();
  h.connections[0]!.crash('the server exited (signal SIGKILL)');
  assert.equal(h.supervisor.state, 'backoff');
  assert.equal(h.supervisor.lastError, 'the server exited (signal SIGKILL)');
  assert.equal(h.timers.length, 1);
  assert.equal(h.supervisor.retryAt! - 1_000_000, backoffDelayMs(1, 0.5));
  await h.fireNext();
  assert.equal(h.supervisor.state, 'up');
  assert.equal(h.supervisor.restarts, 1);
  assert.equal(h.connections.length, 2);
  assert.equal(h.supervisor.lastError, null);
});

test('a call in flight at the crash answers E_TOOL_SERVER_CRASHED and is not replayed on the new session', async () => {
  const h = harness();
  await h.supervisor.start();
  const call = h.supervisor.call('echo', { message: 'x' }, { signal: new AbortController().signal, timeoutMs: 1000 });
  await settle();
  h.connections[0]!.crash('the server exited (signal SIGKILL)');
  await assert.rejects(call, (error: unknown) => codeOf(error) === 'E_TOOL_SERVER_CRASHED' && /not replayed/.test((error as Error).message));
  await h.fireNext();
  assert.equal(h.supervisor.state, 'up');
  assert.deepEqual(h.connections[1]!.calls, [], 'the new session never saw the call');
});

test('calls while not up answer E_TOOL_SERVER_UNAVAILABLE naming the state', async () => {
  const h = harness();
  await h.supervisor.start();
  h.connections[0]!.crash('boom');
  await assert.rejects(
    h.supervisor.call('echo', {}, { signal: new AbortController().signal, timeoutMs: 1000 }),
    (error: unknown) => codeOf(error) === 'E_TOOL_SERVER_UNAVAILABLE' && /is backoff \(boom\)/.test((error as Error).message),
  );
});

test('five crashes within 60 s trip the breaker: failed, no timer, until restart()', async () => {
  const h = harness();
  await h.supervisor.start();
  for (let crash = 1; crash <= 4; crash++) {
    h.connections.at(-1)!.crash(`crash ${crash}`);
    assert.equal(h.supervisor.state, 'backoff');
    await h.fireNext();
    assert.equal(h.supervisor.state, 'up');
  }
  h.connections.at(-1)!.crash('crash 5');
  assert.equal(h.supervisor.state, 'failed');
  assert.equal(h.timers.length, 0);
  assert.match(h.supervisor.lastError!, /crash 5; 5 crashes within 60 s .*covenant tools restart ev/);
  await h.supervisor.restart();
  assert.equal(h.supervisor.state, 'up');
  assert.equal(h.supervisor.restarts, 5);
});

test('crashes spread over more than 60 s never trip the breaker', async () => {
  const h = harness();
  await h.supervisor.start();
  for (let crash = 1; crash <= 8; crash++) {
    h.advance(20_000);
    h.connections.at(-1)!.crash(`crash ${crash}`);
    assert.equal(h.supervisor.state, 'backoff', `crash ${crash}`);
    await h.fireNext();
  }
  assert.equal(h.supervisor.state, 'up');
});

test('a server that cannot start backs off with growing delays, then fails', async () => {
  let attempts = 0;
  const h = harness({
    connect: async () => {
      attempts++;
      throw new Error('cannot start "/nonexistent": no such program (check command and PATH)');
    },
  });
  await h.supervisor.start();
  assert.equal(h.supervisor.state, 'backoff');
  assert.match(h.supervisor.lastError!, /no such program/);
  const delays: number[] = [];
  while (h.supervisor.state === 'backoff') {
    delays.push(h.supervisor.retryAt! - h.now());
    await h.fireNext();
  }
  assert.deepEqual(delays, [1, 2, 3, 4].map((attempt) => backoffDelayMs(attempt, 0.5)));
  assert.equal(h.supervisor.state, 'failed');
  assert.equal(attempts, 5);
});

test('the generation fence: an exit of the old session after a restart changes nothing', async () => {
  const h = harness();
  await h.supervisor.start();
  const old = h.connections[0]!;
  await h.supervisor.restart();
  assert.equal(old.closedByUs, true);
  old.crash('late exit of the old process');
  assert.equal(h.supervisor.state, 'up');
  assert.equal(h.timers.length, 0);
});

test('list_changed re-lists and publishes the new tools', async () => {
  const h = harness();
  await h.supervisor.start();
  h.connections[0]!.changeTools([tool('echo'), tool('new-tool')]);
  await settle();
  assert.deepEqual(h.published.at(-1), { server: 'ev', tools: ['echo', 'new-tool'] });
});

test('stop() ends the session and no restart follows its exit', async () => {
  const h = harness();
  await h.supervisor.start();
  await h.supervisor.stop();
  assert.equal(h.connections[0]!.closedByUs, true);
  h.connections[0]!.crash('exited after SIGTERM');
  assert.equal(h.timers.length, 0);
});

test('a disabled server is never started', async () => {
  const h = harness();
  h.supervisor.config = { ...h.supervisor.config, enabled: false };
  await h.supervisor.start();
  assert.equal(h.supervisor.state, 'disabled');
  assert.equal(h.connections.length, 0);
});
