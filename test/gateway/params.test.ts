import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { paramsFromText, parseJsonBody } from '../../src/gateway/routes/params.js';

const schema = z.object({
  limit: z.number().int().optional(),
  ratio: z.number().default(1),
  since_ms: z.number().int().nullable().optional(),
  live: z.boolean().optional(),
  kinds: z.array(z.string()).optional(),
  seqs: z.array(z.number()).optional(),
  name: z.string().optional(),
  version: z.literal(1).optional(),
});

test('numbers, booleans and arrays are converted by the schema shape', () => {
  const params = paramsFromText(schema, {
    limit: ['20'],
    ratio: ['0.5'],
    since_ms: ['-3e3'],
    live: ['true'],
    kinds: ['intent_dispatched'],
    seqs: ['1', '2'],
    name: ['42'],
    version: ['1'],
  });
  assert.deepEqual(params, {
    limit: 20,
    ratio: 0.5,
    since_ms: -3000,
    live: true,
    kinds: ['intent_dispatched'],
    seqs: [1, 2],
    name: '42',
    version: 1,
  });
  assert.equal(schema.safeParse(params).success, true);
});

test('a repeated scalar key becomes an array (and the schema refuses it)', () => {
  const params = paramsFromText(schema, { name: ['a', 'b'], limit: ['1', '2'] });
  assert.deepEqual(params, { name: ['a', 'b'], limit: [1, 2] });
  assert.equal(schema.safeParse(params).success, false);
});

test('text that is not a number or boolean is left for the schema to refuse', () => {
  const params = paramsFromText(schema, { limit: ['ten'], live: ['maybe'], ratio: [''] });
  assert.deepEqual(params, { limit: 'ten', live: 'maybe', ratio: '' });
  assert.equal(schema.safeParse(params).success, false);
});

test('boolean spellings', () => {
  for (const [text, value] of [['', true], ['1', true], ['TRUE', true], ['false', false], ['0', false]] as const) {
    assert.equal(paramsFromText(schema, { live: [text] }).live, value, JSON.stringify(text));
  }
});

test('unknown keys stay text', () => {
  assert.deepEqual(paramsFromText(schema, { other: ['5'] }), { other: '5' });
  assert.deepEqual(paramsFromText(z.object({}), { a: ['1', '2'] }), { a: ['1', '2'] });
});

test('JSON bodies: object, empty, invalid, non-object, invalid UTF-8', () => {
  const encode = (text: string) => new TextEncoder().encode(text);
  assert.deepEqual(parseJsonBody(encode('{"text":"hi"}')), { ok: true, value: { text: 'hi' } });
  assert.deepEqual(parseJsonBody(encode('  \n')), { ok: true, value: {} });
  const invalid = parseJsonBody(encode('{"a": secret-token-here'));
  assert.equal(invalid.ok, false);
  assert.equal(!invalid.ok && invalid.code, 'E_INVALID_JSON');
  assert.ok(!invalid.ok && !invalid.message.includes('secret-token'), 'the message quotes the body');
  for (const text of ['[]', '1', '"s"', 'null', 'true']) {
    const result = parseJsonBody(encode(text));
    assert.equal(!result.ok && result.code, 'E_BAD_REQUEST', text);
  }
  const badUtf8 = parseJsonBody(new Uint8Array([0x7b, 0xff, 0x7d]));
  assert.equal(!badUtf8.ok && badUtf8.code, 'E_INVALID_JSON');
});
