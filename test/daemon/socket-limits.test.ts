import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { IpcServer, type IpcServerOptions } from '../../src/daemon/ipc-server.js';
import { RefusalCounter } from '../../src/daemon/refusal-counter.js';
import { IpcClient } from '../../src/ipc/index.js';
import { MAX_FRAME_BYTES, PRE_AUTH_MAX_FRAME_BYTES } from '../../src/protocol/index.js';
import { startTestDaemon, type TestDaemon } from '../helpers/in-process-daemon.js';
import { RawSocket, rawFrame } from '../helpers/raw-socket.js';
import { waitFor } from '../helpers/wait.js';

// Each test runs its own IpcServer, with the limits it needs, on the daemon's context.
let t: TestDaemon;
let serial = 0;

before(async () => {
  t = await startTestDaemon();
});
after(async () => {
  await t.stop();
});

type Reply = { kind: string; code?: string; message?: string; reason?: string };

async function withServer(options: IpcServerOptions, run: (server: IpcServer, path: string) => Promise<void>): Promise<void> {
  const server = new IpcServer(t.daemon.ctx, options);
  serial += 1;
  const path = join(t.home, `limits-${serial}.sock`);
  await server.listen(path);
  try {
    await run(server, path);
  } finally {
    await server.shutdown(0);
  }
}

function lastSeq(): number {
  return (t.daemon.ctx.db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_events').get() as { seq: number }).seq;
}

function rowsAfter(seq: number, kind: string): Array<Record<string, unknown>> {
  const rows = t.daemon.ctx.db.prepare('SELECT payload FROM audit_events WHERE seq > ? AND kind = ? ORDER BY seq').all(seq, kind) as Array<{ payload: string }>;
  return rows.map((row) => JSON.parse(row.payload) as Record<string, unknown>);
}

async function ping(path: string): Promise<void> {
  const client = await IpcClient.connect(path, { timeoutMs: 30_000 });
  try {
    await client.authenticate(t.operatorToken);
    assert.deepEqual(await client.request({ kind: 'ping', id: 1 }), { kind: 'daemon_ping', status: 'ok', id: 1 });
  } finally {
    client.close();
  }
}

function header(length: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(length, 0);
  return bytes;
}

test('before authentication a frame over 64 KiB is refused from its header, audited, and the connection closed', async () => {
  await withServer({}, async (_server, path) => {
    const seq = lastSeq();
    const raw = await RawSocket.open(path);
    raw.sendBytes(Buffer.concat([header(PRE_AUTH_MAX_FRAME_BYTES + 1), Buffer.alloc(1024, 0x20)]));
    await raw.waitClosed(30_000);
    const reply = raw.frames[0] as Reply;
    assert.equal(reply.code, 'E_FRAME_TOO_LARGE');
    assert.match(String(reply.message), /before authentication.*authenticate/);
    const rows = rowsAfter(seq, 'frame_rejected');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.authenticated, false);
    assert.match(String(rows[0]!.reason), new RegExp(`${PRE_AUTH_MAX_FRAME_BYTES + 1} bytes exceeds the ${PRE_AUTH_MAX_FRAME_BYTES}-byte limit before authentication`));
    await ping(path);
  });
});

test('an authenticate frame just under the pre-authentication cap is read, and after authentication 8 MiB frames are allowed', async () => {
  await withServer({}, async (_server, path) => {
    const padded = await RawSocket.open(path);
    const message = { kind: 'authenticate', token_b58: t.operatorToken, padding: '' };
    message.padding = 'p'.repeat(PRE_AUTH_MAX_FRAME_BYTES - Buffer.byteLength(JSON.stringify(message)));
    padded.send(message);
    const [answer] = (await padded.waitFrames(1)) as Reply[];
    assert.equal(answer!.kind, 'authenticated');
    // Sent in the same write as `authenticate`: the larger limit applies from the next frame on.
    const big = { kind: 'submit_intent', text: 'x'.repeat(100), pad: 'y'.repeat(PRE_AUTH_MAX_FRAME_BYTES * 4) };
    const raw = await RawSocket.open(path);
    raw.sendBytes(Buffer.concat([rawFrame(Buffer.from(JSON.stringify({ kind: 'authenticate', token_b58: t.operatorToken }))), rawFrame(Buffer.from(JSON.stringify(big)))]));
    const frames = (await raw.waitFrames(2, 30_000)) as Reply[];
    assert.equal(frames[0]!.kind, 'authenticated');
    assert.notEqual(frames[1]!.code, 'E_FRAME_TOO_LARGE');
    assert.ok(PRE_AUTH_MAX_FRAME_BYTES * 4 < MAX_FRAME_BYTES);
    padded.destroy();
    raw.destroy();
  });
});

test('connections each holding an unfinished large frame before authentication are refused at once and hold nothing afterwards', async () => {
  await withServer({}, async (server, path) => {
    const seq = lastSeq();
    const sockets = await Promise.all(Array.from({ length: 48 }, () => RawSocket.open(path)));
    for (const raw of sockets) raw.sendBytes(Buffer.concat([header(MAX_FRAME_BYTES), Buffer.alloc(32 * 1024, 0x20)]));
    for (const raw of sockets) await raw.waitClosed(30_000);
    for (const raw of sockets) assert.equal((raw.frames[0] as Reply).code, 'E_FRAME_TOO_LARGE');
    assert.equal(rowsAfter(seq, 'frame_rejected').length, 48);
    assert.ok(await waitFor(() => server.stats().connections === 0, 30_000), JSON.stringify(server.stats()));
    assert.equal(server.stats().bufferedBytes, 0);
  });
});

test('unfinished frames under the cap hold at most the cap each, and are given back when their clients leave', async () => {
  await withServer({ preAuthTimeoutMs: 120_000 }, async (server, path) => {
    const count = 20;
    const sent = 4 + PRE_AUTH_MAX_FRAME_BYTES - 100;
    const sockets = await Promise.all(Array.from({ length: count }, () => RawSocket.open(path)));
    for (const raw of sockets) raw.sendBytes(Buffer.concat([header(PRE_AUTH_MAX_FRAME_BYTES), Buffer.alloc(PRE_AUTH_MAX_FRAME_BYTES - 100, 0x20)]));
    assert.ok(await waitFor(() => server.stats().bufferedBytes === count * sent, 30_000), JSON.stringify(server.stats()));
    assert.equal(server.stats().unauthenticated, count);
    for (const raw of sockets) raw.destroy();
    assert.ok(await waitFor(() => server.stats().connections === 0, 30_000), JSON.stringify(server.stats()));
    assert.equal(server.stats().bufferedBytes, 0);
  });
});

test('a connection that does not authenticate in time is told so, audited and closed; an authenticated one is not', async () => {
  // Long enough that the authenticated client below authenticates first even on a loaded machine.
  await withServer({ preAuthTimeoutMs: 3_000 }, async (_server, path) => {
    const seq = lastSeq();
    const authenticated = await IpcClient.connect(path, { timeoutMs: 30_000 });
    await authenticated.authenticate(t.operatorToken);
    // Opened after the authenticated one: when its timer has fired, the other's would have too.
    const idle = await RawSocket.open(path);
    await idle.waitClosed(30_000);
    assert.deepEqual(idle.frames, [{ kind: 'authentication_failed', reason: 'no authenticate frame within 3000 ms' }]);
    const rows = rowsAfter(seq, 'authentication_failed');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.reason, 'no authenticate frame within 3000 ms');
    assert.equal(rows[0]!.transport, 'ipc');
    assert.deepEqual(await authenticated.request({ kind: 'ping' }), { kind: 'daemon_ping', status: 'ok' });
    authenticated.close();
  });
});

test('idle connections under the cap do not block a ping; one over the cap is refused with E_TOO_MANY_CONNECTIONS, audited in aggregate', async () => {
  const idleCount = 50;
  await withServer({ maxConnections: idleCount + 1, preAuthTimeoutMs: 120_000 }, async (server, path) => {
    const seq = lastSeq();
    const idle = await Promise.all(Array.from({ length: idleCount }, () => RawSocket.open(path)));
    // Half of them mid-frame.
    idle.slice(0, idleCount / 2).forEach((raw) => raw.sendBytes(header(200)));
    assert.ok(await waitFor(() => server.stats().connections === idleCount, 30_000));
    await ping(path);
    assert.ok(await waitFor(() => server.stats().connections === idleCount, 30_000)); // the ping's connection has gone

    const holder = await IpcClient.connect(path, { timeoutMs: 30_000 });
    await holder.authenticate(t.operatorToken);
    const refused = await Promise.all(Array.from({ length: 5 }, () => RawSocket.open(path)));
    for (const raw of refused) {
      await raw.waitClosed(30_000);
      const reply = raw.frames[0] as Reply;
      assert.equal(reply.code, 'E_TOO_MANY_CONNECTIONS');
      assert.match(String(reply.message), /already has 51 open connections/);
    }
    const client = await IpcClient.connect(path, { timeoutMs: 30_000 });
    await assert.rejects(client.authenticate(t.operatorToken), { code: 'E_TOO_MANY_CONNECTIONS' });
    client.close();
    const prober = await IpcClient.connect(path, { timeoutMs: 30_000 }); // `covenant version`
    await assert.rejects(prober.protocolInfo(), { code: 'E_TOO_MANY_CONNECTIONS' });
    prober.close();
    // One row at once, the rest counted into rows at most one a second: every refusal is counted.
    const total = () => rowsAfter(seq, 'connection_refused').reduce((sum, row) => sum + Number(row.refused), 0);
    assert.ok(await waitFor(() => total() === 7, 30_000), `refusals counted: ${total()}`);
    const rows = rowsAfter(seq, 'connection_refused');
    assert.deepEqual({ ...rows[0], refused: 0 }, { transport: 'ipc', code: 'E_TOO_MANY_CONNECTIONS', limit: idleCount + 1, refused: 0 });

    // Once a slot is free, a new client is served again.
    holder.close();
    assert.ok(await waitFor(() => server.stats().connections === idleCount, 30_000));
    await ping(path);
    for (const raw of idle) raw.destroy();
  });
});

test('a client that sends probes before authentication without reading the answers is disconnected, audited', async () => {
  await withServer({ preAuthTimeoutMs: 120_000 }, async (server, path) => {
    const seq = lastSeq();
    const socket = createConnection(path);
    socket.on('error', () => undefined);
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.pause(); // never read
    const probe = rawFrame(Buffer.from(JSON.stringify({ kind: 'protocol_info' })));
    socket.write(Buffer.concat(Array.from({ length: 40_000 }, () => probe)));
    assert.ok(await waitFor(() => server.stats().connections === 0, 60_000), JSON.stringify(server.stats()));
    const rows = rowsAfter(seq, 'frame_rejected');
    assert.equal(rows.length, 1);
    assert.match(String(rows[0]!.reason), /answers left unread before authentication/);
    socket.destroy();
  });
});

test('refusals in a flood are written as one row at once and one row per window with the count', () => {
  let now = 1_000;
  const rows: number[] = [];
  const counter = new RefusalCounter((count) => rows.push(count), 60_000, () => now);
  for (let i = 0; i < 100; i += 1) counter.note();
  assert.deepEqual(rows, [1]); // the rest wait for the window to end
  now += 60_000;
  counter.flush(); // what the window's timer (or shutdown) does
  assert.deepEqual(rows, [1, 99]);
  counter.flush();
  assert.deepEqual(rows, [1, 99]);
  now += 60_001;
  counter.note();
  assert.deepEqual(rows, [1, 99, 1]);
});
