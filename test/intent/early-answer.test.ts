import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { REFERENCE_AGENTS, startRuntimeDaemon, type RuntimeDaemon } from './helpers.js';

// The answer's vector is made when the answer is read, while the agent's process exits
// (docs/performance.md, "Dispatch (item 2)"): the settle transaction then only writes it.

let t: RuntimeDaemon;
before(async () => {
  t = await startRuntimeDaemon();
  await t.install(join(REFERENCE_AGENTS, 'hello'));
});
after(async () => {
  await t.stop();
});

test('a dispatch embeds its answer once, before the agent has exited, and stores that vector with the record', async () => {
  const memory = t.daemon.ctx.memory;
  const prepared: Array<{ text: string; embedding: Float32Array; inSettle: boolean }> = [];
  const original = memory.prepareAnswer.bind(memory);
  memory.prepareAnswer = (text) => {
    const made = original(text);
    // The settle runs in a transaction: a vector made there was not made ahead.
    prepared.push({ ...made, inSettle: t.daemon.ctx.db.inTransaction });
    return made;
  };
  try {
    const reply = await t.ok({ kind: 'submit_intent', text: 'early bird', agent: 'hello' });
    assert.equal(reply.status, 'ok');
    assert.equal(prepared.length, 1, 'made once: at the answer, not again in the settle');
    assert.equal(prepared[0]!.text, 'hello from covenant: early bird');
    assert.equal(prepared[0]!.inSettle, false, 'made before the settle, when the answer was read');
    assert.ok(prepared[0]!.embedding.length > 0);
    const record = memory.records.get(String(reply.intent_id));
    assert.ok(record);
    assert.deepEqual([...record.embedding], [...prepared[0]!.embedding]);
  } finally {
    memory.prepareAnswer = original;
  }
});
