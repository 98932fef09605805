// Memory search with the provider's embeddings (SPEC 3 and 16, docs/local-model.md "Memory
// embeddings"): with [model] embed_model set, records and queries are embedded through the
// provider (a loopback stand-in for Ollama), memory records which embedder made its vectors, a
// provider that fails leaves search by words only with a note, and a change of embedder is
// refused for vectors with a note that says what to do.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { fakeOllama, goodAnswer, type FakeOllama } from '../helpers/fake-ollama.js';

/** A tiny "model": one dimension per topic word, plus a constant, so similarity means something. */
function embedding(text: string): number[] {
  const words = text.toLowerCase();
  return [(words.match(/audit/g) ?? []).length, (words.match(/lighthouse/g) ?? []).length, 0.1];
}

type Read = { records: Array<{ id: string; text: string; parts: { vector: number; lexical: number } }>; note?: string };

describe('memory embeddings through the provider', () => {
  let ollama: FakeOllama;
  let failing: 'no' | 'error_line' = 'no';
  before(async () => {
    ollama = await fakeOllama((url, body) => {
      if (url !== '/api/embed') return goodAnswer(url, body);
      if (failing === 'error_line') return { body: '{"error":"the embedding model crashed"}' };
      const input = body.input as string[];
      return { body: JSON.stringify({ model: body.model, embeddings: input.map(embedding), prompt_eval_count: input.length }) };
    });
  });
  after(async () => {
    await ollama.close();
  });

  const withModel = (t: DaemonFixture) =>
    writeFileSync(t.paths.config, `[model]\nprovider = "ollama"\nembed_model = "emb"\nendpoint = "${ollama.endpoint}"\ntimeout_ms = 5000\n`);
  const embedded = () => ollama.requests.filter((r) => r.url === '/api/embed').flatMap((r) => r.body.input as string[]);
  const binding = (t: DaemonFixture) => t.ctx.db.prepare('SELECT embedder, dims FROM memory_embedder').all();
  const vectorBytes = (t: DaemonFixture, id: string) => (t.ctx.db.prepare('SELECT length(embedding) AS n FROM memory_records WHERE id = ?').get(id) as { n: number }).n;

  test('records and queries are embedded by the provider; the embedder is recorded; it survives a restart', async () => {
    const t = await DaemonFixture.start();
    try {
      withModel(t);
      await t.restart();
      const audit = (await t.ok({ kind: 'memory_write', text: 'the audit log is a hash chain', tier: 'longterm' })).record as { id: string };
      await t.ok({ kind: 'memory_write', text: 'a lighthouse keeper trims the wick', tier: 'longterm' });
      assert.deepEqual(embedded().slice(-2), ['the audit log is a hash chain', 'a lighthouse keeper trims the wick']);
      assert.deepEqual(binding(t), [{ embedder: 'ollama:emb', dims: 3 }]);
      assert.equal(vectorBytes(t, audit.id), 12, 'three Float32 components');

      await t.restart();
      // No shared word with the record: found by the provider's vectors alone.
      const found = (await t.ok({ kind: 'memory_search', query: 'AUDIT' })) as unknown as Read;
      assert.equal(found.note, undefined);
      assert.equal(embedded().at(-1), 'AUDIT');
      assert.equal(found.records[0]?.id, audit.id, JSON.stringify(found));
      assert.ok((found.records[0]?.parts.vector ?? 0) > 0.9, JSON.stringify(found.records[0]));

      // The provider fails (an error line in a 200 answer): search by words only, with a note.
      failing = 'error_line';
      try {
        const fallback = (await t.ok({ kind: 'memory_search', query: 'audit log' })) as unknown as Read;
        assert.equal(fallback.records[0]?.id, audit.id);
        assert.equal(fallback.records[0]?.parts.vector, 0);
        assert.match(fallback.note ?? '', /^the embedder ollama:emb failed \(E_MODEL_FAILED: .*the embedding model crashed.*\); these results are by words only \(BM25\)$/);
        // A write cannot be embedded: refused with the provider's code, nothing stored.
        const records = t.count('memory_records');
        const refused = await t.call({ kind: 'memory_write', text: 'an audit row per refusal' });
        assert.equal(refused.code, 'E_MODEL_FAILED');
        assert.equal(t.count('memory_records'), records);
      } finally {
        failing = 'no';
      }

      // Back to the local embedder: memory's vectors are the provider's, so search is by words
      // only, saying what to do, and new records get no vector.
      writeFileSync(t.paths.config, '');
      await t.restart();
      const other = (await t.ok({ kind: 'memory_search', query: 'audit log' })) as unknown as Read;
      assert.equal(other.records[0]?.id, audit.id);
      assert.match(other.note ?? '', /made by the embedder ollama:emb \(3 dimensions\), not by the configured local-hash-v1-256.*set \[model\] to the embedder ollama:emb again and restart covenantd/);
      const plain = (await t.ok({ kind: 'memory_write', text: 'written while the embedder differs' })).record as { id: string };
      assert.equal(vectorBytes(t, plain.id), 0);
      assert.deepEqual(binding(t), [{ embedder: 'ollama:emb', dims: 3 }], 'the binding is not rewritten');
    } finally {
      await t.stop();
    }
  });

  test('a home embedded by the local embedder refuses the provider\'s vectors, naming the fix', async () => {
    const t = await DaemonFixture.start();
    try {
      await t.ok({ kind: 'memory_write', text: 'the audit log is a hash chain' });
      assert.deepEqual(binding(t), [{ embedder: 'local-hash-v1-256', dims: 256 }]);
      withModel(t);
      await t.restart();
      const calls = embedded().length;
      const found = (await t.ok({ kind: 'memory_search', query: 'audit log' })) as unknown as Read;
      assert.equal(found.records.length, 1);
      assert.match(found.note ?? '', /made by the embedder local-hash-v1-256 \(256 dimensions\), not by the configured ollama:emb.*remove embed_model from \[model\]/);
      assert.equal(embedded().length, calls, 'the provider is not asked for vectors memory cannot use');
    } finally {
      await t.stop();
    }
  });
});
