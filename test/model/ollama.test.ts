import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OllamaProvider } from '../../src/model/index.js';
import { fakeOllama } from '../helpers/fake-ollama.js';
import { refused } from '../helpers/refusal.js';

const never = new AbortController().signal;

describe('ollama provider on a loopback stand-in', () => {
  it('chats (stream false, num_predict, keep_alive) and embeds in one batch, with the tokens used', async () => {
    const server = await fakeOllama();
    try {
      const p = new OllamaProvider({ endpoint: server.endpoint, chatModel: 'tiny', embedModel: 'tiny-embed', timeoutMs: 5000, keepAlive: '5m' });
      const chat = await p.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 9 }, never);
      assert.deepEqual(chat, { text: 'the model says hi', model: 'tiny', tokens: { prompt: 7, completion: 5 } });
      assert.deepEqual(server.requests[0], {
        url: '/api/chat',
        body: { model: 'tiny', messages: [{ role: 'user', content: 'hi' }], stream: false, options: { num_predict: 9 }, keep_alive: '5m' },
      });
      const embed = await p.embed(['a', 'b'], never);
      assert.deepEqual(embed, { model: 'tiny-embed', vectors: [[0.5, 0, 0.25], [0.5, 1, 0.25]], tokens: 6 });
      assert.deepEqual(server.requests[1], { url: '/api/embed', body: { model: 'tiny-embed', input: ['a', 'b'] } });
    } finally {
      await server.close();
    }
  });

  it('a missing model says to run `ollama pull X` (E_MODEL_NOT_FOUND)', async () => {
    const server = await fakeOllama(() => ({ status: 404, body: JSON.stringify({ error: 'model "tiny" not found, try pulling it first' }) }));
    try {
      const error = await refused(new OllamaProvider({ endpoint: server.endpoint, chatModel: 'tiny', timeoutMs: 5000 }).chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 4 }, never));
      assert.equal(error.code, 'E_MODEL_NOT_FOUND');
      assert.match(error.message, /run `ollama pull tiny`/);
    } finally {
      await server.close();
    }
  });

  it('an error line inside a 200 answer is an error (E_MODEL_FAILED)', async () => {
    const server = await fakeOllama(() => ({ body: '{"model":"tiny","message":{"role":"assistant","content":"par"}}\n{"error":"out of memory"}\n' }));
    try {
      const error = await refused(new OllamaProvider({ endpoint: server.endpoint, chatModel: 'tiny', timeoutMs: 5000 }).chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 4 }, never));
      assert.equal(error.code, 'E_MODEL_FAILED');
      assert.match(error.message, /out of memory/);
    } finally {
      await server.close();
    }
  });

  it('garbage is E_MODEL_FAILED; a body over the cap is dropped', async () => {
    const server = await fakeOllama((url) => (url === '/api/chat' ? { body: '<html>proxy error</html>' } : { body: JSON.stringify({ embeddings: [[1]], pad: 'x'.repeat(4096) }) }));
    try {
      const p = new OllamaProvider({ endpoint: server.endpoint, chatModel: 'tiny', embedModel: 'e', timeoutMs: 5000, maxBodyBytes: 1024 });
      const garbage = await refused(p.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 4 }, never));
      assert.equal(garbage.code, 'E_MODEL_FAILED');
      assert.match(garbage.message, /not JSON/);
      const big = await refused(p.embed(['a'], never));
      assert.equal(big.code, 'E_MODEL_FAILED');
      assert.match(big.message, /more than 1024 bytes/);
    } finally {
      await server.close();
    }
  });

  it('a slow endpoint times out (E_MODEL_TIMEOUT); a down one is E_MODEL_UNAVAILABLE', async () => {
    const server = await fakeOllama(() => 'hang');
    try {
      const slow = await refused(new OllamaProvider({ endpoint: server.endpoint, chatModel: 'tiny', timeoutMs: 200 }).chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 4 }, never));
      assert.equal(slow.code, 'E_MODEL_TIMEOUT');
      assert.match(slow.message, /timeout_ms/);
    } finally {
      await server.close();
    }
    const down = await refused(new OllamaProvider({ endpoint: server.endpoint, chatModel: 'tiny', timeoutMs: 5000 }).chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 4 }, never));
    assert.equal(down.code, 'E_MODEL_UNAVAILABLE');
    assert.match(down.message, /ollama serve/);
  });
});
