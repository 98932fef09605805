/** The deferred-rows scope (audit/request-rows.ts): disabled between requests without losing a scope still open. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { currentRequestRows, outsideRequest, RequestRows, runWithRequestRows } from '../../src/audit/index.js';

/** A promise and the function that settles it. */
function gate(): { opened: Promise<void>; open(): void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

test('a scope still open keeps its rows when another one ends', async () => {
  const first = new RequestRows();
  const second = new RequestRows();
  const secondGoesOn = gate();
  let seenBySecond: RequestRows | null | undefined;
  const running = runWithRequestRows(second, async () => {
    await secondGoesOn.opened;
    await new Promise<void>((resolve) => setImmediate(resolve));
    seenBySecond = currentRequestRows();
  });
  await runWithRequestRows(first, async () => {
    await Promise.resolve();
    assert.equal(currentRequestRows(), first);
  });
  assert.equal(first.ended, true);
  secondGoesOn.open();
  await running;
  assert.equal(seenBySecond, second);
  assert.equal(second.ended, true);
});

test("an ended request's leftover work reads no rows, also once a later request has enabled the storage again", async () => {
  const first = new RequestRows();
  const resume = gate();
  let leftoverSaw: RequestRows | null | 'not run' = 'not run';
  let leftoverRan!: Promise<void>;
  await runWithRequestRows(first, async () => {
    leftoverRan = resume.opened.then(() => {
      leftoverSaw = currentRequestRows();
    });
  });
  assert.equal(first.ended, true);
  assert.equal(currentRequestRows(), null, 'nothing open: no rows');

  const second = new RequestRows();
  await runWithRequestRows(second, async () => {
    resume.open();
    await leftoverRan;
    assert.equal(currentRequestRows(), second);
  });
  assert.equal(leftoverSaw, null);
});

test('outsideRequest reads no rows inside a scope, and leaves the scope its rows', async () => {
  const rows = new RequestRows();
  await runWithRequestRows(rows, async () => {
    assert.equal(outsideRequest(() => currentRequestRows()), null);
    await Promise.resolve();
    assert.equal(currentRequestRows(), rows);
  });
  assert.equal(outsideRequest(() => currentRequestRows()), null);
});
