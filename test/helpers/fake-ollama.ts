import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeOllama {
  endpoint: string;
  requests: Array<{ url: string; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

type Answer = { status?: number; body: string } | 'hang';

/** A loopback stand-in for Ollama: each request is answered by `answer` (default: a good one). */
export async function fakeOllama(answer?: (url: string, body: Record<string, unknown>) => Answer): Promise<FakeOllama> {
  const requests: FakeOllama['requests'] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(text || '{}') as Record<string, unknown>;
      requests.push({ url: req.url ?? '', body });
      const out = answer ? answer(req.url ?? '', body) : goodAnswer(req.url ?? '', body);
      if (out === 'hang') return;
      res.writeHead(out.status ?? 200, { 'content-type': 'application/json' });
      res.end(out.body);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export function goodAnswer(url: string, body: Record<string, unknown>): Answer {
  if (url === '/api/chat') {
    return { body: JSON.stringify({ model: body.model, message: { role: 'assistant', content: 'the model says hi' }, done: true, prompt_eval_count: 7, eval_count: 5 }) };
  }
  if (url === '/api/embed') {
    const input = body.input as string[];
    return { body: JSON.stringify({ model: body.model, embeddings: input.map((_, i) => [0.5, i, 0.25]), prompt_eval_count: 3 * input.length }) };
  }
  if (url === '/api/version') return { body: JSON.stringify({ version: '0.0.0-fake' }) };
  if (url === '/api/tags') return { body: JSON.stringify({ models: [{ name: 'tiny:latest' }] }) };
  return { status: 404, body: JSON.stringify({ error: 'not found' }) };
}
