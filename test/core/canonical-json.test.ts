/** canonicalJson's own encoding of plain data is byte-identical to the `canonicalize` library's, and refuses what it refuses. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import canonicalize from 'canonicalize';
import { canonicalJson } from '../../src/core/index.js';

/** The library's text, or 'threw'. */
function reference(value: unknown): string {
  try {
    const text = canonicalize(value);
    return text === undefined ? 'threw' : text;
  } catch {
    return 'threw';
  }
}

function ours(value: unknown): string {
  try {
    return canonicalJson(value);
  } catch {
    return 'threw';
  }
}

const NUMBERS = [
  0, -0, 1, -1, 0.1, 0.2 + 0.1, -1.5, 1e21, 1e-7, 1e-6, 123456789012345680000, 5e-324, Number.MAX_SAFE_INTEGER,
  Number.MIN_SAFE_INTEGER, Number.MAX_VALUE, -Number.MAX_VALUE, 1796567302020, 2 ** 53 + 2, 4.35, 0.000001, 333333333.3333333,
];
const STRINGS = [
  '', 'a', 'é', 'ß', '€', '😀', 'a\u0000b', '\u001f', '\u007f', '"quoted" \\ back', '\n\r\t\b\f', '\u2028\u2029', 'ﬀ', '\uffff',
  '日本語', 'mixed 😀 and €', '\ud83d\ude00\ud83d', '\udc00', 'lone \ud800 high', 'x'.repeat(300),
];
const KEYS = ['', 'a', 'A', 'b', 'aa', '1', '10', '2', '€', '😀', '\u0080', 'é', 'e', 'z', 'Z', '_', ' ', 'ﬀ', '\ud800'];
const ODD = [undefined, () => 1, Symbol('s'), 10n, NaN, Infinity, -Infinity, new Date(0), { toJSON: () => ({ b: 1, a: 2 }) }, new Map([[1, 2]])];

/** A deterministic generator (xorshift), so a failure names a reproducible case. */
function generator(seed: number) {
  let state = seed || 1;
  const next = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  const value = (depth: number, odd: boolean): unknown => {
    const roll = next();
    if (odd && roll < 0.04) return pick(ODD);
    if (depth > 3 || roll < 0.45) {
      const leaf = next();
      if (leaf < 0.35) return pick(NUMBERS);
      if (leaf < 0.75) return pick(STRINGS);
      if (leaf < 0.85) return next() < 0.5;
      return null;
    }
    if (roll < 0.7) return Array.from({ length: Math.floor(next() * 5) }, () => value(depth + 1, odd));
    const object: Record<string, unknown> = {};
    for (let i = Math.floor(next() * 6); i > 0; i -= 1) object[pick(KEYS) + (next() < 0.3 ? pick(KEYS) : '')] = value(depth + 1, odd);
    return object;
  };
  return value;
}

test('canonicalJson equals canonicalize on every edge number and string, alone and as keys', () => {
  for (const value of [...NUMBERS, ...STRINGS, true, false, null, [], {}]) assert.equal(ours(value), reference(value), JSON.stringify(value));
  const allKeys = Object.fromEntries(KEYS.map((key, i) => [key, i]));
  assert.equal(ours(allKeys), reference(allKeys));
  assert.equal(ours({ a: undefined, b: [undefined, 1] }), reference({ a: undefined, b: [undefined, 1] }));
});

test('canonicalJson equals canonicalize on 20,000 generated plain values, and on values the library alone handles', () => {
  const plain = generator(20261206);
  for (let i = 0; i < 10_000; i += 1) {
    const value = plain(0, false);
    assert.equal(ours(value), reference(value), JSON.stringify(value));
  }
  const odd = generator(42);
  for (let i = 0; i < 10_000; i += 1) {
    const value = odd(0, true);
    assert.equal(ours(value), reference(value));
  }
  // eslint-disable-next-line no-sparse-arrays -- a hole is what is tested
  for (const value of ODD.concat([[1, , 2], Object.create(null), Object.assign(Object.create(null), { b: 1, a: 2 })])) assert.equal(ours(value), reference(value));
  const cyclic: Record<string, unknown> = { a: 1 };
  cyclic.self = cyclic;
  assert.equal(ours(cyclic), 'threw');
});

test("canonicalJson equals canonicalize on audit rows and capabilities as the daemon builds them", () => {
  const issuer = { display: 'user@local', pubkey: '7Yq8cDq3Z9h1Q5pPqk3wBvA8GJd3h3s2vX1nJ4yW5uZr' };
  const rows = [
    { seq: 1, id: '0b6f5a4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b', timestamp_ms: 1796567302020, issuer, kind: 'capability_check', payload: { required: 'tool.call.echo', missing: null, passed: true, capability_id: 'c', reason: null } },
    { seq: 2, id: 'x', timestamp_ms: 0, issuer, kind: 'tool_call_completed', payload: { tool: 'echo', server: null, outcome: 'ok', arguments_hash_hex: 'ab'.repeat(32), duration_ms: 0, receipt_id: 'r' } },
    { seq: 3, id: 'y', timestamp_ms: 5, issuer: { display: 'ünïcødé 😀', pubkey: 'k' }, kind: 'capability_granted', payload: { scope: { paths: ['/tmp/ä', '/€'], max_credits: 1.5, delegate: true }, expires_at: null } },
  ];
  for (const row of rows) assert.equal(ours(row), reference(row));
});
