import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { z } from 'zod';
import { CONNECTION_MESSAGES, replyFrameSchema, REQUESTS } from '../../src/protocol/index.js';
import { GOLDEN, goldenFiles, kindOfGoldenFile, loadGolden as load } from './golden-files.js';

function literalKind(schema: z.ZodObject): string {
  const kind = schema.shape.kind as unknown as { value: string };
  return kind.value;
}

const requestSchemas = new Map<string, z.ZodType>();
for (const [kind, definition] of Object.entries(REQUESTS)) {
  // Strict here though the daemon ignores unknown fields (forward compatibility, SPEC
  // "Versioning"): a golden request with a misspelt or renamed field must fail.
  requestSchemas.set(kind, (definition.params as z.ZodObject).strict());
}
for (const [kind, schema] of Object.entries(CONNECTION_MESSAGES.requests)) requestSchemas.set(kind, schema);

const responseSchemas = new Map<string, z.ZodType>();
for (const definition of Object.values(REQUESTS)) {
  responseSchemas.set(literalKind(definition.response as z.ZodObject), replyFrameSchema(definition.response));
}
for (const [kind, schema] of Object.entries(CONNECTION_MESSAGES.responses)) responseSchemas.set(kind, schema);

test('every request kind has a golden request that its schema accepts', () => {
  for (const [kind, schema] of requestSchemas) {
    const path = join(GOLDEN, 'requests', `${kind}.json`);
    assert.ok(existsSync(path), `missing golden request test/golden/requests/${kind}.json`);
    const golden = load('requests', kind);
    assert.equal(golden.kind, kind, `${kind}.json must carry kind "${kind}"`);
    const { kind: _kind, id: _id, ...params } = golden;
    const parsed = schema.safeParse(kind in CONNECTION_MESSAGES.requests ? golden : params);
    assert.ok(parsed.success, `golden request ${kind} no longer parses: ${parsed.success ? '' : parsed.error.message}`);
  }
});

test('every response kind has a golden response, and its strict schema accepts every golden response', () => {
  for (const kind of responseSchemas.keys()) {
    assert.ok(existsSync(join(GOLDEN, 'responses', `${kind}.json`)), `missing golden response test/golden/responses/${kind}.json`);
  }
  for (const name of goldenFiles('responses')) {
    const schema = responseSchemas.get(kindOfGoldenFile(name));
    if (!schema) continue;
    const parsed = schema.safeParse(load('responses', name));
    assert.ok(parsed.success, `golden response ${name} no longer parses: ${parsed.success ? '' : parsed.error.message}`);
  }
});

test('a strict response schema refuses an unknown field, also a nested one', () => {
  const schema = responseSchemas.get('agent_installed')!;
  const golden = load('responses', 'agent_installed');
  assert.ok(schema.safeParse(golden).success);
  assert.equal(schema.safeParse({ ...golden, note: 'x' }).success, false);
  assert.equal(schema.safeParse({ ...golden, agent: { ...(golden.agent as object), homepage: 'x' } }).success, false);
});

test('every golden file names a kind that exists', () => {
  for (const name of goldenFiles('requests')) assert.ok(requestSchemas.has(name), `test/golden/requests/${name}.json has no request kind`);
  for (const name of goldenFiles('responses')) {
    assert.ok(responseSchemas.has(kindOfGoldenFile(name)), `test/golden/responses/${name}.json has no response kind`);
    assert.equal(load('responses', name).kind, kindOfGoldenFile(name), `test/golden/responses/${name}.json must carry its kind`);
  }
});

test('the HTTP routes derived from the table are unique', () => {
  const seen = new Set<string>();
  for (const definition of Object.values(REQUESTS)) {
    const route = `${definition.http.method} ${definition.http.path}`;
    assert.ok(!seen.has(route), `two request kinds share ${route}`);
    seen.add(route);
  }
});
