import assert from 'node:assert/strict';
import { test } from 'node:test';
import { jsonShape, shapeDifferences } from '../helpers/json-shape.js';

const golden = {
  kind: 'budget_set',
  agent: 'research',
  credits_per_hour: 120,
  previous: 60,
  budgets: [{ agent: 'research', balance: 0.25, configured_by: 'manifest' }],
};
const isKind = { keepValue: (key: string) => key === 'kind' };

test('two replies that differ only in values have the same shape', () => {
  const other = { ...golden, agent: 'hello', credits_per_hour: 1, previous: 0, budgets: [{ agent: 'x', balance: 3, configured_by: 'operator' }] };
  assert.deepEqual(shapeDifferences(golden, other, isKind), []);
});

test('a renamed optional field is a difference', () => {
  const { previous, ...rest } = golden;
  assert.deepEqual(shapeDifferences(golden, { ...rest, previous_rate: previous }, isKind), ['- $.previous: number', '+ $.previous_rate: number']);
});

test('an extra field, also inside an array element, is a difference', () => {
  assert.deepEqual(shapeDifferences(golden, { ...golden, note: 'x' }, isKind), ['+ $.note: string']);
  const nested = { ...golden, budgets: [{ ...golden.budgets[0], full_in_ms: 5 }] };
  assert.deepEqual(shapeDifferences(golden, nested, isKind), ['+ $.budgets[].full_in_ms: number']);
});

test('a changed JSON type, null included, and an emptied array are differences', () => {
  assert.deepEqual(shapeDifferences(golden, { ...golden, previous: null }, isKind), ['- $.previous: number', '+ $.previous: null']);
  assert.deepEqual(shapeDifferences(golden, { ...golden, budgets: [] }, isKind), [
    '- $.budgets[].agent: string',
    '- $.budgets[].balance: number',
    '- $.budgets[].configured_by: string',
    '- $.budgets[]: object',
  ]);
});

test('kept values count: another kind is a different shape', () => {
  assert.deepEqual(shapeDifferences(golden, { ...golden, kind: 'budget_status' }, isKind), [
    '- $.kind: string = "budget_set"',
    '+ $.kind: string = "budget_status"',
  ]);
  assert.deepEqual(shapeDifferences(golden, { ...golden, kind: 'budget_status' }), []);
});

test('array elements of different shapes are all recorded', () => {
  assert.deepEqual(jsonShape({ items: [{ a: 1 }, { b: 'x' }] }), ['$.items: array', '$.items[].a: number', '$.items[].b: string', '$.items[]: object', '$: object']);
});

test('a path whose type may vary is compared as present, whatever its type', () => {
  const anyType = { anyType: ['$.budgets[].configured_by'] };
  const nulled = { ...golden, budgets: [{ ...golden.budgets[0], configured_by: null }] };
  assert.deepEqual(shapeDifferences(golden, nulled, anyType), []);
  const { configured_by: _gone, ...without } = golden.budgets[0]!;
  assert.deepEqual(shapeDifferences(golden, { ...golden, budgets: [without] }, anyType), ['- $.budgets[].configured_by: any']);
});
