import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { z } from 'zod';
import { CONNECTION_MESSAGES, REQUESTS } from '../../src/protocol/index.js';
import { REPO_ROOT } from '../helpers/binaries.js';

const GOLDEN = join(REPO_ROOT, 'test', 'golden');

function literalKind(schema: z.ZodObject): string {
  const kind = schema.shape.kind as unknown as { value: string };
  return kind.value;
}

const requestSchemas = new Map<string, z.ZodType>();
for (const [kind, definition] of Object.entries(REQUESTS)) {
  requestSchemas.set(kind, (definition.params as z.ZodObject).extend({}).loose());
}
for (const [kind, schema] of Object.entries(CONNECTION_MESSAGES.requests)) requestSchemas.set(kind, schema);

const responseSchemas = new Map<string, z.ZodType>();
for (const definition of Object.values(REQUESTS)) {
  responseSchemas.set(literalKind(definition.response as z.ZodObject), definition.response);
}
for (const [kind, schema] of Object.entries(CONNECTION_MESSAGES.responses)) responseSchemas.set(kind, schema);

function goldenFiles(folder: string): string[] {
  return readdirSync(join(GOLDEN, folder))
    .filter((name) => name.endsWith('.json'))
    .map((name) => name.slice(0, -'.json'.length));
}

function load(folder: string, kind: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(GOLDEN, folder, `${kind}.json`), 'utf8')) as Record<string, unknown>;
}

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

test('every response kind has a golden response that its schema accepts', () => {
  for (const [kind, schema] of responseSchemas) {
    assert.ok(existsSync(join(GOLDEN, 'responses', `${kind}.json`)), `missing golden response test/golden/responses/${kind}.json`);
    const parsed = schema.safeParse(load('responses', kind));
    assert.ok(parsed.success, `golden response ${kind} no longer parses: ${parsed.success ? '' : parsed.error.message}`);
  }
});

test('every golden file names a kind that exists', () => {
  for (const kind of goldenFiles('requests')) assert.ok(requestSchemas.has(kind), `test/golden/requests/${kind}.json has no request kind`);
  for (const kind of goldenFiles('responses')) assert.ok(responseSchemas.has(kind), `test/golden/responses/${kind}.json has no response kind`);
});

test('the HTTP routes derived from the table are unique', () => {
  const seen = new Set<string>();
  for (const definition of Object.values(REQUESTS)) {
    const route = `${definition.http.method} ${definition.http.path}`;
    assert.ok(!seen.has(route), `two request kinds share ${route}`);
    seen.add(route);
  }
});
