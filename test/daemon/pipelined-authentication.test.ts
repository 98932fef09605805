/**
 * One round trip for a one-shot command (docs/performance.md, "Dispatch (item 2)"): the CLI's
 * `callDaemon` sends its request in the same write as its token (`authenticateAndCall`). The
 * daemon reads a connection's frames in order, so the request runs only once the token is
 * accepted, and a refused token closes the connection with the request never served.
 */
import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { encodeFrame, FrameDecoder, IpcClient } from '../../src/ipc/index.js';
import { mintToken } from '../../src/peers/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { RawSocket } from '../helpers/raw-socket.js';
import { tempDir } from '../helpers/temp-home.js';

let t: DaemonFixture;

before(async () => {
  t = await DaemonFixture.start();
});
after(async () => {
  await t.stop();
});

function count(sql: string, ...params: unknown[]): number {
  return (t.daemon.ctx.db.prepare(sql).get(...params) as { n: number }).n;
}

test('authenticateAndCall sends the request before the daemon has answered the token', async () => {
  // A stand-in daemon that answers each frame as it comes and notes how many answers it had
  // written when each frame arrived: a client that waited for `authenticated` shows 1.
  const { dir, cleanup } = tempDir('covenant-pipelined-');
  const sock = join(dir, 'sock');
  const seen: Array<{ kind: unknown; answeredBefore: number }> = [];
  let peer: Socket | undefined;
  const server = createServer((socket) => {
    peer = socket;
    const decoder = new FrameDecoder();
    let answered = 0;
    socket.on('data', (chunk) => {
      const frames = decoder.push(chunk).map((frame) => (frame.type === 'message' ? (frame.value as Record<string, unknown>) : {}));
      for (const frame of frames) seen.push({ kind: frame.kind, answeredBefore: answered });
      for (const frame of frames) {
        answered += 1;
        socket.write(encodeFrame(frame.kind === 'authenticate' ? { kind: 'authenticated', display: 'op', pubkey: 'pk' } : { kind: 'daemon_ping', status: 'ok' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(sock, resolve));
  try {
    const client = await IpcClient.connect(sock);
    const { self, reply } = await client.authenticateAndCall('token', 'ping', {});
    client.close();
    assert.deepEqual(self, { display: 'op', pubkey: 'pk' });
    assert.deepEqual(reply, { kind: 'daemon_ping', status: 'ok' });
    assert.deepEqual(seen, [
      { kind: 'authenticate', answeredBefore: 0 },
      { kind: 'ping', answeredBefore: 0 },
    ]);
  } finally {
    peer?.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    cleanup();
  }
});

test('a request written together with a live token is served after it, in order', async () => {
  const client = await IpcClient.connect(t.daemon.paths.sock);
  try {
    const { self, reply } = await client.authenticateAndCall(t.operatorToken(), 'ping', {});
    assert.equal(typeof self.pubkey, 'string');
    assert.deepEqual(reply, { kind: 'daemon_ping', status: 'ok' });
  } finally {
    client.close();
  }
});

test('a request written together with a refused token is never served: one authentication_failed row, nothing else', async () => {
  const intents = count("SELECT COUNT(*) AS n FROM audit_events WHERE kind LIKE 'intent_%'");
  const failures = count("SELECT COUNT(*) AS n FROM audit_events WHERE kind = 'authentication_failed'");
  const receipts = count('SELECT COUNT(*) AS n FROM receipts');
  const raw = await RawSocket.open(t.daemon.paths.sock);
  await raw.sendBytes(Buffer.concat([encodeFrame({ kind: 'authenticate', token_b58: mintToken() }), encodeFrame({ kind: 'submit_intent', text: 'hello there' })]));
  await raw.waitClosed();
  assert.deepEqual(raw.frames, [{ kind: 'authentication_failed', reason: 'unknown or revoked token' }]);
  assert.equal(count("SELECT COUNT(*) AS n FROM audit_events WHERE kind = 'authentication_failed'"), failures + 1);
  assert.equal(count("SELECT COUNT(*) AS n FROM audit_events WHERE kind LIKE 'intent_%'"), intents);
  assert.equal(count('SELECT COUNT(*) AS n FROM receipts'), receipts);

  // The client says the same as a two-step authenticate would, and the daemon serves on.
  const client = await IpcClient.connect(t.daemon.paths.sock);
  await assert.rejects(client.authenticateAndCall(mintToken(), 'submit_intent', { text: 'hello there' }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'E_AUTH_FAILED');
    assert.match(error.message, /covenantd refused the token \(unknown or revoked token\)/);
    return true;
  });
  client.close();
  // A request of megabytes still being written when the daemon hangs up: the refusal is read first.
  const big = await IpcClient.connect(t.daemon.paths.sock);
  await assert.rejects(big.authenticateAndCall(mintToken(), 'submit_intent', { text: 'x'.repeat(4 * 1024 * 1024) }), (error: Error & { code?: string }) => {
    assert.equal(error.code, 'E_AUTH_FAILED');
    return true;
  });
  big.close();
  assert.equal(count("SELECT COUNT(*) AS n FROM audit_events WHERE kind LIKE 'intent_%'"), intents);
  const session = await t.session();
  assert.deepEqual(await session.request({ kind: 'ping' }), { kind: 'daemon_ping', status: 'ok' });
  session.close();
});
