import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, cutInput, MAX_QUOTED_CHARS, quoteInput, wellFormedJson, wellFormedText } from '../../src/core/index.js';

test('quoteInput quotes short input whole and cuts long input to 200 characters with a marker', () => {
  assert.equal(quoteInput('launch'), '"launch"');
  assert.equal(quoteInput('l'.repeat(200)), `"${'l'.repeat(200)}"`);
  assert.equal(quoteInput('l'.repeat(5_000_000)), `"${'l'.repeat(MAX_QUOTED_CHARS)}"…(4999800 more characters)`);
  assert.equal(cutInput('l'.repeat(201)), `${'l'.repeat(200)}…(1 more characters)`);
});

test('quoteInput and cutInput show at most 6 characters of a token, also one that crosses the cut', () => {
  const token = '4vJ9JU1bJJE96FWSJKvHsmmFADCg4gpZQff4P3bkLKi';
  assert.equal(quoteInput(`revoke ${token}`), `"revoke ${token.slice(0, 6)}…"`);
  const across = `${'l'.repeat(190)} ${token}`;
  assert.equal(quoteInput(across).includes(token.slice(0, 7)), false);
  assert.equal(cutInput(`${token}${'l'.repeat(5_000_000)}`).includes(token.slice(0, 7)), false);
});

test('quoteInput never cuts a surrogate pair in two, shows non-strings as JSON and never throws', () => {
  const text = `${'l'.repeat(199)}😀tail`;
  assert.equal(quoteInput(text), `"${'l'.repeat(199)}"…(6 more characters)`);
  assert.equal(quoteInput(42), '42');
  assert.equal(quoteInput(undefined), 'undefined');
  assert.equal(quoteInput(Array.from({ length: 1000 }, () => 1)).length < 250, true);
  const cycle: Record<string, unknown> = {};
  cycle.self = cycle;
  assert.equal(quoteInput(cycle), '(a object)');
  assert.equal(quoteInput(10n), '(a bigint)');
  assert.equal(quoteInput('\ud800'), '"\\ud800"');
});

test('wellFormedJson replaces lone surrogates in values and keys at any depth, and keeps what is already well-formed', () => {
  const clean = { a: ['ok', { b: 'fine 😀' }], n: 1, nothing: null };
  assert.equal(wellFormedJson(clean), clean);
  assert.equal(wellFormedText('x\ud800y\udfffz😀'), 'x\ufffdy\ufffdz😀');
  const fixed = wellFormedJson({ 'k\udc00': ['x\ud83d', { deep: '\ud800' }], same: 'same' });
  assert.deepEqual(fixed, { 'k\ufffd': ['x\ufffd', { deep: '\ufffd' }], same: 'same' });
  assert.doesNotThrow(() => canonicalJson(fixed));
  assert.throws(() => canonicalJson({ x: '\ud800' }));
});
