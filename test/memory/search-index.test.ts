import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize, Segment, sparseQuery, topK } from '../../src/memory/index.js';

function lcg(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1103515245 + 12345) % 2147483648;
    return s / 2147483648;
  };
}

function randomVector(rand: () => number, dims: number, nonZero: number): Float32Array {
  const v = new Float32Array(dims);
  for (let k = 0; k < nonZero; k += 1) { const j = Math.floor(rand() * dims); v[j] = v[j]! + (rand() < 0.5 ? -1 : 1); }
  return normalize(v);
}

function dot(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i += 1) s += a[i]! * b[i]!;
  return s;
}

test('segment scores equal plain dot products, sparse and dense queries, across growth and removals', () => {
  const rand = lcg(42);
  const dims = 32;
  const segment = new Segment(dims, 4);
  const vectors = new Map<string, Float32Array>();
  for (let i = 0; i < 300; i += 1) {
    const v = randomVector(rand, dims, 1 + Math.floor(rand() * 10));
    vectors.set(`r${i}`, v);
    segment.add(`r${i}`, v);
  }
  segment.add('r0', vectors.get('r0')!); // a second add is ignored
  assert.equal(segment.count, 300);
  for (let i = 0; i < 300; i += 3) {
    assert.equal(segment.remove(`r${i}`), true);
    vectors.delete(`r${i}`);
  }
  assert.equal(segment.remove('r0'), false);
  assert.equal(segment.count, vectors.size);
  for (const nonZero of [1, 3, 9, 13, 64]) {
    const q = randomVector(rand, dims, nonZero);
    const { indices, values } = sparseQuery(q);
    const scores = new Float32Array(segment.count);
    segment.scoreInto(indices, values, scores);
    for (let p = 0; p < segment.count; p += 1) {
      const expected = dot(q, vectors.get(segment.ids[p]!)!);
      assert.ok(Math.abs(scores[p]! - expected) < 1e-5, `position ${p}: ${scores[p]} vs ${expected}`);
    }
  }
  // Shrinks after mass removal and still scores right.
  for (const id of [...vectors.keys()].slice(0, 190)) {
    segment.remove(id);
    vectors.delete(id);
  }
  assert.ok(segment.capacity < 300);
  const q = randomVector(rand, dims, 5);
  const { indices, values } = sparseQuery(q);
  const scores = new Float32Array(segment.count);
  segment.scoreInto(indices, values, scores);
  for (let p = 0; p < segment.count; p += 1) assert.ok(Math.abs(scores[p]! - dot(q, vectors.get(segment.ids[p]!)!)) < 1e-5);
});

test('topK: the k best positive scores at or above the floor, best first', () => {
  const scores = Float32Array.from([0.1, 0.9, -0.5, 0, 0.5, 0.9, 0.3, 0.7]);
  assert.deepEqual(
    topK(scores, scores.length, 3, 0).map((h) => h.position),
    [5, 1, 7],
  );
  assert.deepEqual(
    topK(scores, scores.length, 10, 0).map((h) => h.position),
    [5, 1, 7, 4, 6, 0],
  );
  assert.deepEqual(
    topK(scores, scores.length, 10, 0.5).map((h) => h.position),
    [5, 1, 7, 4],
  );
  assert.deepEqual(topK(scores, scores.length, 0, 0), []);
  assert.deepEqual(topK(scores, 2, 5, 0).map((h) => h.position), [1, 0]);
  const rand = lcg(9);
  const many = Float32Array.from({ length: 5000 }, () => rand() * 2 - 1);
  const expected = [...many].map((s, i) => ({ s, i })).filter((x) => x.s > 0).sort((a, b) => b.s - a.s || b.i - a.i).slice(0, 25);
  assert.deepEqual(
    topK(many, many.length, 25, 0).map((h) => h.position),
    expected.map((x) => x.i),
  );
});
