import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { gatewayOptionsFromEnv } from '../../src/gateway/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { startGatewayFixture, type GatewayFixture } from './helpers.js';

const CONSOLE = 'http://console.example:5173';
let f: GatewayFixture;

before(async () => {
  f = await startGatewayFixture({ origins: [CONSOLE] });
});
after(async () => {
  await f.stop();
});

test('a listed origin gets Access-Control-Allow-Origin on answers, refusals included', async () => {
  const ok = await fetch(`${f.url}/ping`, { headers: { ...f.bearer(), origin: CONSOLE } });
  assert.equal(ok.status, 200);
  assert.equal(ok.headers.get('access-control-allow-origin'), CONSOLE);
  assert.match(ok.headers.get('vary') ?? '', /Origin/);
  const refused = await fetch(`${f.url}/ping`, { headers: { origin: CONSOLE } });
  assert.equal(refused.status, 401);
  assert.equal(refused.headers.get('access-control-allow-origin'), CONSOLE);
});

test('every kind of answer carries the CORS headers once: a route, a public route, refusals, 404, 405, 429', async () => {
  // The limiter's clock stands still: the second /ping is refused however long the first took.
  const limited = await startGatewayFixture({ origins: [CONSOLE], ratePerSecond: 1, burst: 1, clock: new FakeClock() });
  try {
    const asks: Array<{ url: string; headers: Record<string, string>; status: number }> = [
      { url: `${f.url}/tools`, headers: f.bearer(), status: 200 },
      { url: `${f.url}/health`, headers: {}, status: 200 },
      { url: `${f.url}/tools`, headers: {}, status: 401 },
      { url: `${f.url}/nosuch`, headers: f.bearer(), status: 404 },
      { url: `${f.url}/intent`, headers: f.bearer(), status: 405 },
      { url: `${limited.url}/ping`, headers: limited.bearer(), status: 200 },
      { url: `${limited.url}/ping`, headers: limited.bearer(), status: 429 },
    ];
    for (const ask of asks) {
      const answer = await fetch(ask.url, { headers: { ...ask.headers, origin: CONSOLE } });
      await answer.arrayBuffer();
      const where = `${ask.url} ${ask.status}`;
      assert.equal(answer.status, ask.status, where);
      // fetch joins repeated header lines with ", ": an exact value means exactly one line.
      assert.equal(answer.headers.get('access-control-allow-origin'), CONSOLE, where);
      assert.equal(answer.headers.get('access-control-expose-headers'), 'Retry-After', where);
      assert.equal(answer.headers.get('vary'), 'Origin', where);
    }
  } finally {
    await limited.stop();
  }
});

test('a preflight from a listed origin is answered without a token', async () => {
  const preflight = await fetch(`${f.url}/intent`, {
    method: 'OPTIONS',
    headers: { origin: CONSOLE, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type' },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), CONSOLE);
  assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
  assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
  assert.equal(preflight.headers.get('access-control-allow-credentials'), null);
});

test('an origin not on the list gets no Access-Control-Allow-Origin, not even a look-alike', async () => {
  for (const origin of ['http://evil.example', 'http://console.example', 'http://console.example:5173.evil.example', 'null']) {
    const response = await fetch(`${f.url}/ping`, { headers: { ...f.bearer(), origin } });
    assert.equal(response.headers.get('access-control-allow-origin'), null, origin);
    const preflight = await fetch(`${f.url}/ping`, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'GET' } });
    assert.equal(preflight.headers.get('access-control-allow-origin'), null, origin);
  }
});

test('COVENANT_HTTP_* settings: defaults, origins list, rate limit, bad values refused', () => {
  assert.deepEqual(gatewayOptionsFromEnv({}), { host: '127.0.0.1', port: 8421, origins: [] });
  assert.deepEqual(
    gatewayOptionsFromEnv({ COVENANT_HTTP_BIND_ADDR: '::1', COVENANT_HTTP_PORT: '0', COVENANT_HTTP_ORIGINS: ' http://a.example , https://b.example:8443,' }),
    { host: '::1', port: 0, origins: ['http://a.example', 'https://b.example:8443'] },
  );
  for (const port of ['-1', '65536', 'http', '80 80']) {
    assert.throws(() => gatewayOptionsFromEnv({ COVENANT_HTTP_PORT: port }), /COVENANT_HTTP_PORT/, port);
  }
  assert.deepEqual(gatewayOptionsFromEnv({ COVENANT_HTTP_RATE: '500', COVENANT_HTTP_BURST: '1000' }), {
    host: '127.0.0.1',
    port: 8421,
    origins: [],
    ratePerSecond: 500,
    burst: 1000,
  });
  assert.equal(gatewayOptionsFromEnv({ COVENANT_HTTP_RATE: '0.5' }).ratePerSecond, 0.5);
  for (const [name, value] of [['COVENANT_HTTP_RATE', '0'], ['COVENANT_HTTP_RATE', '-5'], ['COVENANT_HTTP_BURST', '1.5'], ['COVENANT_HTTP_BURST', 'lots']] as const) {
    assert.throws(() => gatewayOptionsFromEnv({ [name]: value }), new RegExp(name), `${name}=${value}`);
  }
  for (const origins of ['*', 'http://a.example/path', 'a.example']) {
    assert.throws(() => gatewayOptionsFromEnv({ COVENANT_HTTP_ORIGINS: origins }), /COVENANT_HTTP_ORIGINS/, origins);
  }
});
