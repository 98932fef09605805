import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mapJsonStrings, wellFormedJson } from '../../src/core/index.js';

const LONE = '\uD800';

describe('mapJsonStrings / wellFormedJson', () => {
  it('returns the very value when no string changes, at any depth', () => {
    const value = { a: 'x', b: [1, { c: 'y' }], d: null, e: true };
    assert.equal(wellFormedJson(value), value);
    assert.equal(mapJsonStrings(value, (text) => text), value);
  });

  it('copies only what holds a changed string; key order and untouched members kept', () => {
    const inner = { keep: 'ok' };
    const value = { first: 1, [`k${LONE}`]: 'v', mid: inner, last: [`s${LONE}`, 't'] };
    const fixed = wellFormedJson(value);
    assert.notEqual(fixed, value);
    assert.deepEqual(Object.keys(fixed), ['first', 'k\uFFFD', 'mid', 'last']);
    assert.equal(fixed.mid, inner);
    assert.deepEqual(fixed.last, ['s\uFFFD', 't']);
    assert.equal(value.last[0], `s${LONE}`, 'the input is not mutated');
  });

  it('a change in the first member or only in a nested value copies the object all the same', () => {
    assert.deepEqual(mapJsonStrings({ a: 'x', b: 'y' }, (text) => (text === 'a' ? 'A' : text)), { A: 'x', b: 'y' });
    assert.deepEqual(mapJsonStrings({ a: 'x', b: { c: 'y' } }, (text) => (text === 'y' ? 'Y' : text)), { a: 'x', b: { c: 'Y' } });
  });
});
