import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { RawHttpClient } from '../../scripts/bench/raw-http-client.js';

/** A TCP server that answers every request with `answer(n)` (n counts from 1), written in `chunks` pieces. */
async function serve(answer: (n: number) => string, chunks = 1): Promise<{ server: Server; url: URL; requests: string[] }> {
  const requests: string[] = [];
  const server = createServer((socket) => {
    let buffered = '';
    socket.on('data', (data: Buffer) => {
      buffered += data.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        requests.push(buffered.slice(0, end));
        buffered = buffered.slice(end + 4);
        const bytes = Buffer.from(answer(requests.length), 'latin1');
        const size = Math.ceil(bytes.length / chunks);
        for (let at = 0; at < bytes.length; at += size) socket.write(bytes.subarray(at, at + size));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { server, url: new URL(`http://127.0.0.1:${port}/tools?x=1`), requests };
}

const ok = (body: string) => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;

test('sends the path, query and headers, and resolves once the whole body is read, answer after answer', async () => {
  const body = JSON.stringify({ kind: 'tool_list', tools: 'x'.repeat(300) });
  const { server, url, requests } = await serve(() => ok(body), 7);
  const client = await RawHttpClient.connect(url, { authorization: 'Bearer abc' });
  try {
    for (let i = 0; i < 3; i += 1) await client.get();
    assert.equal(requests.length, 3);
    assert.deepEqual(requests[0]!.split('\r\n'), ['GET /tools?x=1 HTTP/1.1', `host: ${url.host}`, 'authorization: Bearer abc']);
  } finally {
    client.close();
    server.close();
  }
});

test('rejects an answer other than 200, and goes on with the next', async () => {
  const { server, url } = await serve((n) => (n === 1 ? 'HTTP/1.1 429 Too Many Requests\r\ncontent-length: 2\r\n\r\n{}' : ok('{}')));
  const client = await RawHttpClient.connect(url, {});
  try {
    await assert.rejects(client.get(), /GET answered HTTP\/1\.1 429 Too Many Requests/);
    await client.get();
  } finally {
    client.close();
    server.close();
  }
});

test('refuses an answer without Content-Length instead of guessing where it ends', async () => {
  const { server, url } = await serve(() => 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n');
  const client = await RawHttpClient.connect(url, {});
  try {
    await assert.rejects(client.get(), /an answer without Content-Length: HTTP\/1\.1 200 OK/);
    await assert.rejects(client.get(), /without Content-Length/);
  } finally {
    client.close();
    server.close();
  }
});
