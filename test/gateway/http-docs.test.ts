// docs/http-gateway.md lists every route (generated from the request table, stale doc = failure),
// and GET /openapi.json describes every route with its method and request/response schemas.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { z } from 'zod';
import { createGatewayApp, gatewayRoutes, routesMarkdown, withRoutesSection } from '../../src/gateway/index.js';
import { isRequestKind, REQUESTS, type RequestDefinition } from '../../src/protocol/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';

const DOC = new URL('../../docs/http-gateway.md', import.meta.url);

test('docs/http-gateway.md has the generated route list of this build (run `npm run docs:http` when this fails)', () => {
  const doc = readFileSync(DOC, 'utf8');
  assert.equal(doc, withRoutesSection(doc), 'docs/http-gateway.md is stale: run `npm run docs:http`');
  for (const route of gatewayRoutes()) {
    assert.ok(doc.includes(`| ${route.method} | \`${route.path}\` | \`${route.name}\` |`), `${route.method} ${route.path} is not in the doc`);
  }
  // The check can fail: a doc missing a route is not current.
  const missing = doc.replace(/^\| POST \| `\/intent` \|.*\n/m, '');
  assert.notEqual(missing, doc);
  assert.notEqual(missing, withRoutesSection(missing));
  assert.ok(routesMarkdown().includes('| GET | `/openapi.json` | `openapi` | no |'));
});

let t: DaemonFixture;
before(async () => {
  t = await DaemonFixture.start();
});
after(async () => {
  await t.stop();
});

type Operation = {
  operationId: string;
  security?: unknown[];
  parameters?: Array<{ name: string; in: string; required: boolean; schema: unknown }>;
  requestBody?: { content: { 'application/json': { schema: Record<string, unknown> } } };
  responses: Record<string, { content: Record<string, { schema: unknown }> }>;
};

const schemaOf = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

test('GET /openapi.json needs no token and lists every route with its method and schemas', async () => {
  const app = createGatewayApp(t.daemon.ctx, { origins: [] });
  const seqBefore = (t.daemon.ctx.db.prepare('SELECT MAX(seq) AS s FROM audit_events').get() as { s: number }).s;
  const response = await app.request('/openapi.json');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /application\/json/);
  const text = await response.text();
  assert.ok(!text.includes(t.operatorToken()) && !text.includes(t.operatorToken().slice(0, 6)), 'no token in the document');
  const document = JSON.parse(text) as { openapi: string; info: { version: string }; security: unknown[]; paths: Record<string, Record<string, Operation>> };
  assert.equal(document.openapi, '3.1.0');
  assert.equal(document.info.version, t.daemon.ctx.daemonVersion);
  assert.deepEqual(document.security, [{ bearer: [] }]);

  const routes = gatewayRoutes();
  const listed = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
  assert.deepEqual(listed.sort(), routes.map((r) => `${r.method} ${r.path.replace(/:([A-Za-z_]+)/g, '{$1}')}`).sort(), 'exactly the served routes');

  for (const route of routes) {
    const operation = document.paths[route.path.replace(/:([A-Za-z_]+)/g, '{$1}')]![route.method.toLowerCase()]!;
    assert.equal(operation.operationId, route.name);
    assert.ok(operation.responses.default, `${route.name}: error response`);
    if (!isRequestKind(route.name)) continue;
    const definition = REQUESTS[route.name] as unknown as RequestDefinition;
    assert.deepEqual(operation.responses['200']!.content['application/json']!.schema, schemaOf(definition.response, 'output'), `${route.name}: response schema`);
    const params = schemaOf(definition.params, 'input');
    const properties = Object.keys((params.properties ?? {}));
    if (route.method === 'POST') {
      assert.deepEqual(operation.requestBody!.content['application/json'].schema, params, `${route.name}: body schema`);
    } else {
      assert.deepEqual((operation.parameters ?? []).map((p) => p.name).sort(), properties.sort(), `${route.name}: query parameters`);
    }
    assert.equal(operation.security, undefined, `${route.name} needs the bearer token`);
  }
  const version = document.paths['/version']!.get!;
  assert.deepEqual(version.security, [], 'public');
  assert.deepEqual(document.paths['/openapi.json']!.get!.security, [], 'public');
  // A known shape, spelled out: memory_recent's query parameters and answer.
  const recent = document.paths['/memory/recent']!.get!;
  assert.ok(recent.parameters!.some((p) => p.name === 'limit' && p.in === 'query'), JSON.stringify(recent.parameters));
  assert.equal((recent.responses['200']!.content['application/json']!.schema as { properties: { kind: { const: string } } }).properties.kind.const, 'memory_read');

  const seqAfter = (t.daemon.ctx.db.prepare('SELECT MAX(seq) AS s FROM audit_events').get() as { s: number }).s;
  assert.equal(seqAfter, seqBefore, 'a public read writes no audit row');
  const wrongMethod = await app.request('/openapi.json', { method: 'POST', body: '{}' });
  assert.equal(wrongMethod.status, 401, 'only GET is public');
});
