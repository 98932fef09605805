// How often the outbox looks at a remote task it follows (src/a2a/outbox-worker.ts followPause):
// a quarter of the time followed so far, so a task's end is seen soon after it, whatever its length.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { followPause } from '../../src/a2a/outbox-worker.js';

const FIRST = 20;
const MAX = 2000;

/** When the looks of the follow loop see a task that ends `endMs` after it is accepted, and how many looks that takes. */
function seen(endMs: number): { at: number; looks: number } {
  let at = 0;
  let looks = 0;
  while (at < endMs) {
    at += followPause(at, FIRST, MAX);
    looks += 1;
  }
  return { at, looks };
}

describe('following a remote task', () => {
  for (const [elapsed, pause] of [
    [0, 20],
    [60, 20],
    [100, 25],
    [400, 100],
    [8000, 2000],
    [60_000, 2000],
  ] as const) {
    it(`pauses ${pause} ms after ${elapsed} ms of following`, () => {
      assert.equal(followPause(elapsed, FIRST, MAX), pause);
    });
  }

  for (const endMs of [15, 90, 141, 250, 1000, 5000]) {
    it(`sees a task that ends after ${endMs} ms within a quarter of that (or the first pause)`, () => {
      assert.ok(seen(endMs).at <= endMs + Math.max(FIRST, endMs / 4), JSON.stringify(seen(endMs)));
    });
  }

  it('looks at a task of ten seconds fewer than 40 times', () => {
    assert.ok(seen(10_000).looks < 40, JSON.stringify(seen(10_000)));
  });
});
