import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normalize, quantize, Segment, sparseQuery, topK } from '../../src/memory/index.js';

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

test('segment scores equal plain dot products (8-bit components), sparse and dense queries, across growth and removals', () => {
  const rand = lcg(42);
  const dims = 32;
  const segment = new Segment(dims, 4);
  const vectors = new Map<number, Float32Array>();
  for (let i = 1; i <= 300; i += 1) {
    const v = randomVector(rand, dims, 1 + Math.floor(rand() * 10));
    vectors.set(i, v);
    segment.add(i, v);
  }
  segment.add(1, vectors.get(1)!); // a second add of a rowid is ignored
  assert.equal(segment.size, 300);
  for (let i = 1; i <= 300; i += 3) {
    assert.equal(segment.remove(i), true);
    vectors.delete(i);
  }
  assert.equal(segment.remove(1), false);
  assert.equal(segment.size, vectors.size);
  const check = () => {
    for (const nonZero of [1, 3, 9, 13, 64]) {
      const q = randomVector(rand, dims, nonZero);
      const { indices, values } = sparseQuery(q);
      const scores = new Float32Array(segment.count);
      segment.scoreInto(indices, values, scores);
      for (let p = 0; p < segment.count; p += 1) {
        const v = segment.scales[p] === -1 ? undefined : vectors.get(segment.rowids[p]!); // dead: scale -1
        // Word-count vectors (the local embedder's) are stored exactly.
        const expected = v ? dot(q, v) : 0;
        assert.ok(Math.abs(scores[p]! - expected) < 1e-5, `position ${p}: ${scores[p]} vs ${expected}`);
        if (v) assert.ok(Math.abs(segment.scoreOne(p, indices, values) - scores[p]!) < 1e-6);
      }
    }
    for (const rowid of vectors.keys()) assert.equal(segment.rowids[segment.find(rowid)], rowid);
  };
  check();
  // Squeezes the dead out after mass removal and still scores right.
  for (const rowid of [...vectors.keys()].slice(0, 150)) {
    segment.remove(rowid);
    vectors.delete(rowid);
  }
  assert.ok(segment.capacity < 300);
  assert.equal(segment.count, segment.size + segment.dead);
  check();
  // SQLite reuses a deleted maximum rowid: the new record is found, not its dead namesake.
  const last = Math.max(...vectors.keys());
  segment.remove(last);
  vectors.delete(last);
  const reused = randomVector(rand, dims, 4);
  segment.add(last, reused);
  vectors.set(last, reused);
  check();
});

test('quantize: word-count vectors exactly, any other vector within 1/254 of its largest component', () => {
  const counts = normalize(Float32Array.from([0, 1, -2, 0, 3, 1, 0, -1]));
  const q = new Int8Array(8);
  const scale = quantize(counts, q);
  for (let j = 0; j < 8; j += 1) assert.ok(Math.abs(q[j]! * scale - counts[j]!) < 1e-7);
  const rand = lcg(5);
  const dense = normalize(Float32Array.from({ length: 64 }, () => rand() * 2 - 1));
  const q2 = new Int8Array(64);
  const scale2 = quantize(dense, q2);
  const max = Math.max(...[...dense].map(Math.abs));
  for (let j = 0; j < 64; j += 1) assert.ok(Math.abs(q2[j]! * scale2 - dense[j]!) <= max / 254 + 1e-7);
  assert.equal(quantize(new Float32Array(4), new Int8Array(4)), 0);
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
