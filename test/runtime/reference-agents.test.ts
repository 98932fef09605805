import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrustedLocalRunner, loadAgentPackage, runRequestFor, type AgentRunResult } from '../../src/runtime/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const AGENTS = path.resolve(here, '..', '..', 'agents');

async function runAgent(id: string, text: string, env?: Record<string, string>): Promise<AgentRunResult> {
  const pkg = await loadAgentPackage(path.join(AGENTS, id));
  const runner = new TrustedLocalRunner({ killGraceMs: 200 });
  try {
    return await runner.run(runRequestFor(pkg, { intent_id: `intent-${id}`, text }, { env: env ?? {}, timeoutMs: 5000 }));
  } finally {
    await runner.close();
  }
}

/** A stand-in for Ollama's /api/chat that records what it was sent. */
async function fakeOllama(status = 200): Promise<{ endpoint: string; requests: unknown[]; close: () => Promise<void> }> {
  const requests: unknown[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      requests.push({ method: req.method, url: req.url, body: JSON.parse(body) as unknown });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        status === 200
          ? JSON.stringify({ model: 'tiny', message: { role: 'assistant', content: 'the model says hi' }, done: true })
          : JSON.stringify({ error: 'model "tiny" not found' }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('reference agents', () => {
  it('hello echoes the intent', async () => {
    const result = await runAgent('hello', 'good morning');
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.answer, { text: 'hello from covenant: good morning', sources: [] });
  });

  it('research without a model gives a deterministic offline answer that says so', async () => {
    const text = 'Compare SQLite and Postgres: SQLite is embedded, Postgres is a server. Which database suits SQLite tests?';
    const first = await runAgent('research', text);
    const second = await runAgent('research', text);
    assert.ok(first.ok && second.ok, JSON.stringify([first, second]));
    assert.deepEqual(first.answer, second.answer, 'deterministic');
    assert.deepEqual(first.answer.sources, ['offline']);
    assert.match(first.answer.text, /^research \(offline, no model configured\): /);
    assert.match(first.answer.text, /16 words; key terms: sqlite \(3\), postgres \(2\), compare, database/);
  });

  it('research with a model configured asks /api/chat and cites the model', async () => {
    const ollama = await fakeOllama();
    try {
      const result = await runAgent('research', 'explain gVisor', {
        COVENANT_OLLAMA_ENDPOINT: ollama.endpoint,
        COVENANT_MODEL_CHAT: 'tiny',
      });
      assert.ok(result.ok, JSON.stringify(result));
      assert.deepEqual(result.answer, { text: 'the model says hi', sources: ['model:tiny'] });
      assert.deepEqual(ollama.requests, [
        {
          method: 'POST',
          url: '/api/chat',
          body: { model: 'tiny', messages: [{ role: 'user', content: 'explain gVisor' }], stream: false },
        },
      ]);
    } finally {
      await ollama.close();
    }
  });

  it('research with a failing model is an error naming the agent, not a silent fallback', async () => {
    const ollama = await fakeOllama(404);
    try {
      const result = await runAgent('research', 'explain gVisor', {
        COVENANT_OLLAMA_ENDPOINT: ollama.endpoint,
        COVENANT_MODEL_CHAT: 'tiny',
      });
      assert.equal(result.ok, false);
      assert.ok(!result.ok && result.reason === 'nonzero_exit');
      assert.match(result.message, /agent research: exited with code 1; stderr: research: model tiny answered HTTP 404/);
    } finally {
      await ollama.close();
    }
  });
});
