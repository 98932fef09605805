// What the gateway's fast path (no web Request/Response built, issue 15 item 4) must keep:
// GET bodies stay unread and close the connection, headers read from the node request mean
// what `c.req.header` meant, the route table answers the same for literal paths.
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { createGatewayApp, gatewayRoutes } from '../../src/gateway/index.js';
import { RouteMethods } from '../../src/gateway/routes/match.js';
import { lastSeq, rowsAfter, startGatewayFixture, type GatewayFixture } from './helpers.js';

let f: GatewayFixture;
before(async () => {
  f = await startGatewayFixture({ origins: ['http://console.example'] });
});
after(async () => {
  await f.stop();
});

/** Sends raw bytes and reads until the server closes the connection or the answer is complete. */
function rawRequest(head: string, body = ''): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const { port } = new URL(f.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1');
    let text = '';
    const finish = () => {
      const [top, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...lines] = top!.split('\r\n');
      const headers = Object.fromEntries(lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]));
      resolve({ status: Number(statusLine!.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    };
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const length = /content-length: (\d+)/i.exec(text.slice(0, end))?.[1];
      if (end >= 0 && length !== undefined && text.length >= end + 4 + Number(length)) {
        socket.destroy();
        finish();
      }
    });
    socket.on('end', finish);
    socket.on('error', reject);
    socket.write(`${head}\r\n\r\n${body}`);
  });
}

test('a GET with a body is answered without reading it, and its connection closes (as before the fast path)', async () => {
  const token = f.t.operatorToken();
  const before = lastSeq(f.ctx);
  const small = await rawRequest(`GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Length: 5`, 'hello');
  assert.equal(small.status, 200);
  assert.equal(small.headers.connection, 'close');
  assert.equal((JSON.parse(small.body) as { kind: string }).kind, 'daemon_ping');
  // A declared body over the 8 MiB limit is never read either: no 413, no frame_rejected row.
  const huge = await rawRequest(`GET /tools HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Length: 9000000`);
  assert.equal(huge.status, 200);
  assert.equal(huge.headers.connection, 'close');
  assert.deepEqual(rowsAfter(f.ctx, before).map((row) => row.kind), []);
});

test('a POST body is still limited: a declared length over 8 MiB is 413 before any byte is read', async () => {
  const token = f.t.operatorToken();
  const refused = await rawRequest(`POST /intent HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nContent-Type: application/json\r\nContent-Length: 9000000`);
  assert.equal(refused.status, 413);
  assert.equal((JSON.parse(refused.body) as { code: string }).code, 'E_FRAME_TOO_LARGE');
  assert.equal(refused.headers.connection, 'close');
});

test('two Authorization headers are one malformed credential (joined, as a web Headers object reads them), never the first alone', async () => {
  const token = f.t.operatorToken();
  const answer = await rawRequest(`GET /ping HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nAuthorization: Bearer ${token}\r\nConnection: close`);
  assert.equal(answer.status, 401);
  assert.equal((JSON.parse(answer.body) as { code: string }).code, 'E_AUTH_FAILED');
});

test('CORS headers reach answers written by the fast path and refusals alike', async () => {
  const token = f.t.operatorToken();
  const ok = await rawRequest(`GET /tools HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nOrigin: http://console.example\r\nConnection: close`);
  assert.equal(ok.status, 200);
  assert.equal(ok.headers['access-control-allow-origin'], 'http://console.example');
  assert.equal(ok.headers['access-control-expose-headers'], 'Retry-After');
  assert.equal(ok.headers.vary, 'Origin');
  const foreign = await rawRequest(`GET /tools HTTP/1.1\r\nHost: 127.0.0.1\r\nOrigin: http://evil.example\r\nConnection: close`);
  assert.equal(foreign.status, 401);
  assert.equal(foreign.headers['access-control-allow-origin'], undefined);
  assert.equal(foreign.headers.vary, 'Origin');
});

test('the methods of a literal path are those every route pattern gives it', () => {
  const routes = gatewayRoutes();
  const methods = new RouteMethods(routes);
  const byPattern = (path: string) =>
    [...new Set(routes.filter((r) => new RegExp(`^${r.path.replace(/:[^/]+/g, '[^/]+')}$`).test(path)).map((r) => r.method))].sort();
  const paths = [...routes.map((r) => r.path.replace(/:[^/]+/g, 'x1')), ...routes.map((r) => r.path), '/nosuch', '/'];
  for (const path of paths) assert.deepEqual(methods.allowed(path), byPattern(path), path);
});

test('a route is public or guarded as the route table says, settled when it is mounted: one not in the table is refused then', async () => {
  const app = createGatewayApp(f.ctx, { origins: [] });
  assert.throws(() => app.get('/not-in-the-table', (c) => c.text('served without any check')), /GET \/not-in-the-table is mounted but not in the route table/);
  assert.throws(() => app.post('/health', (c) => c.text('a public path with a method the table does not give it')), /POST \/health is mounted but not in the route table/);
  // The table's public GET /health is served without a token, HEAD too; its path with another method needs one first.
  assert.equal((await app.request('/health')).status, 200);
  assert.equal((await app.request('/health', { method: 'HEAD' })).status, 200);
  assert.equal((await app.request('/health', { method: 'POST' })).status, 401);
  assert.equal((await app.request('/health', { method: 'POST', headers: f.bearer() })).status, 405);
});
