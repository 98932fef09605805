/**
 * Issue 8 on the HTTP side, through `app.request()`: methods no route serves (405 + Allow),
 * one boundary per request (E_INTERNAL, audited, logged, never the log's absolute path),
 * answers over 8 MiB (E_RESPONSE_TOO_LARGE), and paths carrying tokens (redacted wherever
 * they are recorded).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { Hono } from 'hono';
import { buildGateway, createGatewayApp, gatewayRoutes, type GatewayEnv } from '../../src/gateway/index.js';
import { MAX_FRAME_BYTES } from '../../src/protocol/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/in-process-daemon.js';
import { auditTableText, lastSeq, registerPeer, rowsAfter, type AuditRowJson } from './helpers.js';

let t: TestDaemon;
let app: Hono<GatewayEnv>;
let operator: Record<string, string>;

before(async () => {
  t = await startTestDaemon();
  app = createGatewayApp(t.daemon.ctx, { origins: [], ratePerSecond: 1_000_000, burst: 1_000_000 });
  operator = { authorization: `Bearer ${t.operatorToken}` };
});
after(async () => {
  await t.stop();
});

/** The answer as the JSON error object; fails unless it is exactly that shape. */
async function errorOf(response: Response): Promise<{ kind: string; code: string; message: string }> {
  assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
  const body = (await response.json()) as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['code', 'kind', 'message']);
  assert.equal(body.kind, 'error');
  assert.equal(typeof body.message, 'string');
  return body as { kind: string; code: string; message: string };
}

/** Runs `request`, returning the answer and the audit rows it wrote. */
async function audited(request: () => Promise<Response>): Promise<{ response: Response; rows: AuditRowJson[] }> {
  const from = lastSeq(t.daemon.ctx);
  const response = await request();
  return { response, rows: rowsAfter(t.daemon.ctx, from) };
}

const concrete = (path: string) => path.replace(/:([A-Za-z_]+)/g, 'sample-$1');

describe('a method no route serves is 405 with Allow, audited (item 8)', () => {
  for (const route of gatewayRoutes()) {
    const allow = route.method === 'GET' ? 'GET, HEAD' : 'POST';
    const wrong = ['DELETE', 'PUT', 'PATCH', route.method === 'GET' ? 'POST' : 'GET'];
    for (const method of wrong) {
      test(`${method} ${route.path} → 405, Allow: ${allow}`, async () => {
        const path = concrete(route.path);
        const init: RequestInit = { method, headers: operator };
        if (method !== 'GET') init.body = '{}';
        const { response, rows } = await audited(() => app.request(path, init));
        assert.equal(response.status, 405);
        assert.equal(response.headers.get('allow'), allow);
        const body = await errorOf(response);
        assert.equal(body.code, 'E_METHOD_NOT_ALLOWED');
        assert.match(body.message, new RegExp(`answers ${allow}`));
        assert.deepEqual(
          rows.map((row) => [row.kind, row.payload]),
          [['request_rejected', { transport: 'http', request_kind: null, code: 'E_METHOD_NOT_ALLOWED', token_prefix: t.operatorToken.slice(0, 6), method, path }]],
        );
      });
    }
  }

  test('HEAD, which hono answers from GET routes, opens no event stream', async () => {
    const { app: withState, state } = buildGateway(t.daemon.ctx, { origins: [], ratePerSecond: 1_000_000, burst: 1_000_000 });
    const response = await withState.request('/audit/stream', { method: 'HEAD', headers: operator });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(state.streams.size, 0, 'a HEAD request left an event stream open');
  });

  test('an unknown path stays 404 whatever the method; no token stays 401', async () => {
    for (const method of ['GET', 'POST', 'DELETE', 'PUT', 'PATCH']) {
      const { response, rows } = await audited(() => app.request('/no/such/route', { method, headers: operator }));
      assert.equal(response.status, 404, method);
      assert.equal((await errorOf(response)).code, 'E_NOT_FOUND');
      assert.deepEqual(rows.map((row) => [row.kind, row.payload.code, row.payload.method]), [['request_rejected', 'E_NOT_FOUND', method]]);
    }
    const { response, rows } = await audited(() => app.request('/ping', { method: 'DELETE' }));
    assert.equal(response.status, 401);
    assert.deepEqual(rows.map((row) => row.kind), ['authentication_failed']);
  });
});

describe('one boundary per request: E_INTERNAL, audited, logged (items 1 and 8)', () => {
  const ctx = () => t.daemon.ctx;
  const cases: Array<{ label: string; path: string; method: string; breakIt: () => () => void }> = [
    {
      label: 'an Error thrown in a middleware',
      path: '/ping',
      method: 'GET',
      breakIt: () => patch(ctx().peers, 'resolve', () => {
        throw new Error('resolve failed');
      }),
    },
    {
      label: 'a thrown value that is not an Error',
      path: '/ping',
      method: 'GET',
      breakIt: () => patch(ctx().peers, 'resolve', () => {
        throw 'not an error object';
      }),
    },
    {
      label: 'a thrown undefined',
      path: '/ping',
      method: 'GET',
      breakIt: () => patch(ctx().peers, 'resolve', () => {
        throw undefined;
      }),
    },
    {
      label: 'an Error thrown by a request handler',
      path: '/audit/checkpoint',
      method: 'POST',
      breakIt: () => patch(ctx().audit, 'checkpoint', () => {
        throw new Error('checkpoint failed');
      }),
    },
  ];
  for (const c of cases) {
    test(`${c.label} → 500 E_INTERNAL naming the log without its path`, async () => {
      const logged = spyLog();
      const restore = c.breakIt();
      let result: Awaited<ReturnType<typeof audited>>;
      try {
        result = await audited(() => app.request(c.path, { method: c.method, headers: operator }));
      } finally {
        restore();
        logged.restore();
      }
      assert.equal(result.response.status, 500);
      const body = await errorOf(result.response);
      assert.equal(body.code, 'E_INTERNAL');
      assert.equal(body.message, "internal error; details are in covenantd.log in the logs/ directory of the daemon's home");
      assert.ok(!body.message.includes(t.home), 'the message shows the home path');
      const rejected = result.rows.filter((row) => row.kind === 'request_rejected');
      assert.equal(rejected.length, 1, `rows: ${result.rows.map((row) => row.kind).join(', ')}`);
      assert.equal(rejected[0]!.payload.code, 'E_INTERNAL');
      assert.equal(rejected[0]!.payload.transport, 'http');
      assert.ok(logged.calls.length >= 1, 'no error was logged');
    });
  }

  test('a logger that throws while reporting an internal error still leaves an E_INTERNAL answer', async () => {
    const restoreLog = patch(ctx().log, 'error', () => {
      throw new Error('EIO: the log cannot be written');
    });
    const restore = patch(ctx().peers, 'resolve', () => {
      throw new Error('resolve failed');
    });
    try {
      const { response, rows } = await audited(() => app.request('/ping', { headers: operator }));
      assert.equal(response.status, 500);
      assert.equal((await errorOf(response)).code, 'E_INTERNAL');
      assert.deepEqual(rows.map((row) => [row.kind, row.payload.code]), [['request_rejected', 'E_INTERNAL']]);
    } finally {
      restore();
      restoreLog();
    }
  });
});

describe('an answer over 8 MiB is refused with E_RESPONSE_TOO_LARGE (item 1)', () => {
  test('memory_recent over a few dozen large records: 413 saying how to narrow it; a smaller limit is served', async () => {
    // JSON escapes each U+0001 as 6 bytes: one 65,536-character record answers ~393 KB.
    const text = '\u0001'.repeat(65_536);
    for (let i = 0; i < 24; i += 1) {
      const written = await app.request('/memory/write', { method: 'POST', headers: operator, body: JSON.stringify({ text }) });
      assert.equal(written.status, 200, `write ${i}`);
    }
    const { response, rows } = await audited(() => app.request('/memory/recent?limit=1000', { headers: operator }));
    assert.equal(response.status, 413);
    const raw = await response.text();
    assert.ok(raw.length < 1000, `the refusal is ${raw.length} bytes`);
    const body = JSON.parse(raw) as Record<string, unknown>;
    assert.deepEqual(Object.keys(body).sort(), ['code', 'kind', 'message']);
    assert.equal(body.code, 'E_RESPONSE_TOO_LARGE');
    assert.match(String(body.message), /would be 9\.\d MB, over the 8388608-byte \(8 MiB\) limit/);
    assert.match(String(body.message), /fewer rows \(e\.g\. `-n 50`, or "limit": 50\) or a narrower filter/);
    assert.deepEqual(
      rows.filter((row) => row.kind === 'request_rejected').map((row) => row.payload),
      [{ transport: 'http', request_kind: 'memory_recent', code: 'E_RESPONSE_TOO_LARGE', token_prefix: t.operatorToken.slice(0, 6) }],
    );
    const narrowed = await app.request('/memory/recent?limit=10', { headers: operator });
    assert.equal(narrowed.status, 200);
    const served = await narrowed.arrayBuffer();
    assert.ok(served.byteLength > 3_000_000 && served.byteLength <= MAX_FRAME_BYTES, `${served.byteLength} bytes`);
  });
});

describe('paths that carry a token are recorded redacted (item 6)', () => {
  test('404, 401 and 405 rows, their messages and the log keep at most a 6-character prefix', async () => {
    const peer = registerPeer(t.daemon.ctx, 'pathleak');
    const token = peer.token;
    const cases: Array<{ label: string; path: string; method: string; headers: Record<string, string>; status: number; kind: string; recorded: string }> = [
      { label: 'unknown path, authenticated', path: `/nosuch/${token}`, method: 'GET', headers: operator, status: 404, kind: 'request_rejected', recorded: `/nosuch/${token.slice(0, 6)}…` },
      { label: 'unknown path, no token', path: `/nosuch/${token}`, method: 'GET', headers: {}, status: 401, kind: 'authentication_failed', recorded: `/nosuch/${token.slice(0, 6)}…` },
      { label: 'token in a segment after a key', path: `/x/token=${token}/more`, method: 'GET', headers: operator, status: 404, kind: 'request_rejected', recorded: `/x/token=${token.slice(0, 6)}…` },
      { label: 'bearer key then a short secret', path: '/x/bearer/hunter2-not-base58!/tail', method: 'GET', headers: operator, status: 404, kind: 'request_rejected', recorded: '/x/bearer/hunter…' },
      { label: 'known path, wrong method with a token in the query', path: `/ping?token=${token}`, method: 'DELETE', headers: operator, status: 405, kind: 'request_rejected', recorded: '/ping' },
      { label: 'overlong path', path: `/${'a0'.repeat(400)}`, method: 'GET', headers: operator, status: 404, kind: 'request_rejected', recorded: `/${'a0'.repeat(63)}…` },
    ];
    for (const c of cases) {
      const { response, rows } = await audited(() => app.request(c.path, { method: c.method, headers: c.headers }));
      assert.equal(response.status, c.status, c.label);
      const message = (await errorOf(response)).message;
      assert.ok(!message.includes(token.slice(0, 7)), `${c.label}: the message quotes the token: ${message}`);
      assert.deepEqual(rows.map((row) => [row.kind, row.payload.path]), [[c.kind, c.recorded]], c.label);
    }
    assert.ok(!auditTableText(t.daemon.ctx).includes(token.slice(0, 7)), 'more than 6 characters of the token reached the audit table');
    assert.ok(!readFileSync(t.daemon.paths.daemonLog, 'utf8').includes(token.slice(0, 7)), 'the token reached the daemon log');
  });
});

function patch<T extends object, K extends keyof T>(target: T, key: K, value: unknown): () => void {
  const original = target[key];
  (target as Record<K, unknown>)[key] = value;
  return () => {
    (target as Record<K, unknown>)[key] = original;
  };
}

function spyLog(): { calls: unknown[][]; restore: () => void } {
  const log = t.daemon.ctx.log;
  const original = log.error.bind(log);
  const calls: unknown[][] = [];
  const restore = patch(log, 'error', (...args: unknown[]) => {
    calls.push(args);
    return (original as (...a: unknown[]) => void)(...args);
  });
  return { calls, restore };
}
