// Long polls without a busy loop: the waiter sleeps until notified, aborted or out of time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { longPoll, Wakeups } from '../../src/a2a/index.js';

test('a waiter wakes on notify of its key only, and is forgotten afterwards', async () => {
  const w = new Wakeups();
  const woken = w.wait('inbox:a', 60_000);
  const other = w.wait('inbox:b', 60_000);
  assert.equal(w.sleeping, 2);
  w.notify('inbox:a');
  assert.equal(await woken, true);
  assert.equal(w.sleeping, 1);
  const controller = new AbortController();
  const aborted = w.wait('inbox:b', 60_000, controller.signal);
  controller.abort();
  assert.equal(await aborted, false);
  w.notify('inbox:b');
  assert.equal(await other, true);
  assert.equal(w.sleeping, 0);
});

test('a long poll tries once per wake-up, never on a timer, and gives up at its deadline', async () => {
  const w = new Wakeups();
  let tries = 0;
  let value: string | null = null;
  const polled = longPoll(w, 'k', 60_000, undefined, () => {
    tries += 1;
    return value;
  });
  assert.equal(tries, 1);
  w.notify('k'); // a change for someone else: one more try, still nothing
  await new Promise((r) => setImmediate(r));
  assert.equal(tries, 2);
  value = 'task';
  w.notify('k');
  assert.equal(await polled, 'task');
  assert.equal(tries, 3);
  assert.equal(await longPoll(w, 'k', 0, undefined, () => null), null);
  assert.equal(w.sleeping, 0);
});
