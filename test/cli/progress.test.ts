/** Progress on a terminal for long operations (issue 10, item 17): stderr only, only on a TTY, never with --json. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { withProgress, type ProgressStream } from '../../src/cli/progress.js';

function recorder(isTTY: boolean): ProgressStream & { writes: string[]; firstWrite: Promise<void> } {
  const writes: string[] = [];
  let wrote!: () => void;
  const firstWrite = new Promise<void>((resolve) => (wrote = resolve));
  return {
    isTTY,
    writes,
    firstWrite,
    write(text: string) {
      writes.push(text);
      wrote();
      return true;
    },
  };
}

test('on a terminal: an elapsed line while the work runs, cleared when it ends; the result is the work\'s', async () => {
  const stream = recorder(true);
  // The work ends only once a progress line was written: no sleeping, the test waits for the event.
  const result = await withProgress('waiting for the answer', stream.firstWrite.then(() => 42), { stream, afterMs: 0, everyMs: 10 });
  assert.equal(result, 42);
  const clear = '\r\x1b[K';
  assert.ok(stream.writes[0]!.startsWith(clear), JSON.stringify(stream.writes[0]));
  assert.match(stream.writes[0]!.slice(clear.length), /^covenant: waiting for the answer… \d+s$/);
  assert.equal(stream.writes.at(-1), '\r\x1b[K', 'the line is cleared');
});

test('not a terminal, or --json: nothing is written, and a failure passes through', async () => {
  for (const [stream, json] of [[recorder(false), false], [recorder(true), true]] as const) {
    await assert.rejects(withProgress('x', Promise.reject(new Error('boom')), { stream, json, afterMs: 0 }), /boom/);
    assert.equal(await withProgress('x', Promise.resolve('done'), { stream, json, afterMs: 0 }), 'done');
    assert.deepEqual(stream.writes, []);
  }
});

test('a quick answer shows nothing', async () => {
  const stream = recorder(true);
  assert.equal(await withProgress('x', Promise.resolve(1), { stream }), 1);
  assert.deepEqual(stream.writes, []);
});
