/**
 * Table-driven: every request kind of REQUESTS (and every event stream) is mounted at its
 * declared route, and refuses no token, a malformed header, an unknown token and a revoked
 * token with 401 and exactly one `authentication_failed` row. Grows as kinds are added.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGatewayApp, EVENT_STREAMS, gatewayRoutes } from '../../src/gateway/index.js';
import { REQUESTS, type RequestDefinition } from '../../src/protocol/index.js';
import { auditTableText, lastSeq, registerPeer, revokeByHash, rowsAfter, startGatewayFixture, type GatewayFixture, type TestPeer } from './helpers.js';

let f: GatewayFixture;
let revoked: TestPeer;
const UNKNOWN_TOKEN = 'NoSuchToken1111111111111111111111111111111111';

before(async () => {
  // A bucket large enough for the whole table: this file is about authentication.
  f = await startGatewayFixture({ ratePerSecond: 1_000_000, burst: 1_000_000 });
  revoked = registerPeer(f.ctx, 'revoked');
  revokeByHash(f.ctx, revoked.tokenHash);
});
after(async () => {
  await f.stop();
});

interface Target {
  name: string;
  method: 'GET' | 'POST';
  path: string;
}

const definitions = Object.values(REQUESTS).map((entry) => entry as unknown as RequestDefinition);
const targets: Target[] = [
  ...definitions.map((definition) => ({ name: definition.kind, method: definition.http.method, path: definition.http.path })),
  ...EVENT_STREAMS.map((stream) => ({ name: stream.name, method: 'GET' as const, path: stream.path })),
];

/** A concrete URL path: `:param` segments get a sample value. */
function concrete(path: string): string {
  return path.replace(/:([A-Za-z_]+)/g, 'sample-$1');
}

test('the table is not empty and every request kind has a route of its own', () => {
  assert.ok(definitions.length >= 4, `only ${definitions.length} request kinds`);
  const routes = gatewayRoutes();
  for (const definition of definitions) {
    assert.match(definition.http.path, /^\/[a-z0-9/:_-]*$/, definition.kind);
    // GET (and HEAD, which hono answers from GET routes) must be safe to repeat.
    if (definition.http.method === 'GET') assert.equal(definition.mutates, false, `${definition.kind} mutates but is served on GET`);
    assert.ok(
      routes.some((route) => route.name === definition.kind && route.method === definition.http.method && route.path === definition.http.path),
      `${definition.kind} is not routed`,
    );
  }
  const app = createGatewayApp(f.ctx, { origins: [] });
  for (const target of targets) {
    assert.ok(
      app.routes.some((route) => route.method === target.method && route.path === target.path),
      `${target.method} ${target.path} (${target.name}) is not mounted on the hono app`,
    );
  }
});

describe('every protected route refuses without a live token', () => {
  const cases: Array<{ label: string; headers: () => Record<string, string>; code: string; reason: string; prefix: () => string | null }> = [
    { label: 'no token', headers: () => ({}), code: 'E_AUTH_REQUIRED', reason: 'missing bearer token', prefix: () => null },
    { label: 'malformed ("Bearer")', headers: () => ({ authorization: 'Bearer' }), code: 'E_AUTH_FAILED', reason: 'malformed authorization header', prefix: () => null },
    { label: 'unknown token', headers: () => ({ authorization: `Bearer ${UNKNOWN_TOKEN}` }), code: 'E_AUTH_FAILED', reason: 'unknown token', prefix: () => UNKNOWN_TOKEN.slice(0, 6) },
    { label: 'revoked token', headers: () => ({ authorization: `Bearer ${revoked.token}` }), code: 'E_AUTH_FAILED', reason: 'revoked token', prefix: () => revoked.token.slice(0, 6) },
  ];
  for (const target of targets) {
    for (const c of cases) {
      test(`${target.method} ${target.path} (${target.name}) with ${c.label} → 401`, async () => {
        const before = lastSeq(f.ctx);
        const init: RequestInit = { method: target.method, headers: { ...c.headers(), 'content-type': 'application/json' } };
        if (target.method === 'POST') init.body = '{}';
        const response = await fetch(`${f.url}${concrete(target.path)}`, init);
        assert.equal(response.status, 401);
        const body = (await response.json()) as Record<string, unknown>;
        assert.equal(body.kind, 'error');
        assert.equal(body.code, c.code);
        assert.equal(typeof body.message, 'string');
        const rows = rowsAfter(f.ctx, before);
        assert.equal(rows.length, 1, `rows written: ${rows.map((row) => row.kind).join(', ')}`);
        assert.equal(rows[0]!.kind, 'authentication_failed');
        assert.equal(rows[0]!.issuer_pubkey, f.ctx.identity.agentId.pubkey);
        assert.deepEqual(rows[0]!.payload, {
          transport: 'http',
          reason: c.reason,
          token_prefix: c.prefix(),
          method: target.method,
          path: concrete(target.path),
        });
      });
    }
  }
});

test('no presented token reached the audit table beyond its 6-character prefix', () => {
  const text = auditTableText(f.ctx);
  assert.ok(!text.includes(UNKNOWN_TOKEN.slice(0, 7)));
  assert.ok(!text.includes(revoked.token.slice(0, 7)));
  assert.ok(!text.includes(f.t.operatorToken));
});
