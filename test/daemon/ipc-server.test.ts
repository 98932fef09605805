import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { encodeFrame } from '../../src/ipc/index.js';
import { MAX_FRAME_BYTES } from '../../src/protocol/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { RawSocket, rawFrame } from '../helpers/raw-socket.js';

let t: DaemonFixture;

before(async () => {
  t = await DaemonFixture.start();
});
after(async () => {
  await t.stop();
});

async function stillServing(): Promise<void> {
  const client = await t.session();
  assert.deepEqual(await client.request({ kind: 'ping', id: 'after' }), { kind: 'daemon_ping', status: 'ok', id: 'after' });
  client.close();
}

function lastAudit(kind: string): Record<string, unknown> {
  const row = t.daemon.ctx.db.prepare('SELECT payload FROM audit_events WHERE kind = ? ORDER BY seq DESC LIMIT 1').get(kind) as
    | { payload: string }
    | undefined;
  assert.ok(row, `expected an audit row of kind ${kind}`);
  return JSON.parse(row.payload) as Record<string, unknown>;
}

test('protocol_info may be probed repeatedly before authentication', async () => {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'protocol_info', id: 1 });
  raw.send({ kind: 'protocol_info', id: 2 });
  const frames = (await raw.waitFrames(2)) as Array<{ kind: string; id: number; info: Record<string, unknown> }>;
  assert.equal(frames[0]!.kind, 'protocol_info');
  assert.equal(frames[0]!.id, 1);
  assert.equal(frames[1]!.id, 2);
  assert.deepEqual(Object.keys(frames[0]!.info).sort(), ['daemon_version', 'max_supported', 'min_supported', 'protocol', 'version']);
  assert.equal(frames[0]!.info.protocol, 'covenant.ipc');
  assert.equal(raw.closed, false);
  raw.destroy();
});

test('authenticate then ping answers in order and echoes ids', async () => {
  const client = await t.session();
  assert.deepEqual(await client.request({ kind: 'ping', id: 7 }), { kind: 'daemon_ping', status: 'ok', id: 7 });
  const intent = await client.request({ kind: 'submit_intent', text: 'hello there', id: 'x' });
  assert.equal(intent.kind, 'intent_result');
  assert.equal(intent.status, 'unrouted');
  assert.equal(intent.id, 'x');
  client.close();
});

test('frames written at once are answered in order: an answer made at once never overtakes one waiting for its commit', async () => {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  const frames = [
    { kind: 'authenticate', token_b58: t.operatorToken() },
    { kind: 'ping', id: 1 },
    // Writes its intent_unrouted row: answered only after the group commit, a turn later.
    { kind: 'submit_intent', text: 'hello there', id: 2 },
    { kind: 'ping', id: 3 },
    { kind: 'submit_intent', text: 'hello again', id: 4 },
    { kind: 'ping', id: 5 },
  ];
  await raw.sendBytes(Buffer.concat(frames.map((frame) => encodeFrame(frame))));
  const answers = (await raw.waitFrames(frames.length)) as Array<{ kind: string; id?: number; status?: string }>;
  assert.deepEqual(
    answers.map((answer) => [answer.kind, answer.id ?? null]),
    [['authenticated', null], ['daemon_ping', 1], ['intent_result', 2], ['daemon_ping', 3], ['intent_result', 4], ['daemon_ping', 5]],
  );
  assert.equal(answers[2]!.status, 'unrouted');
  raw.destroy();
  await stillServing();
});

test('a request before authentication is refused, audited and the connection closed', async () => {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'ping' });
  await raw.waitClosed();
  assert.deepEqual(raw.frames, [{ kind: 'authentication_failed', reason: 'first frame must be authenticate' }]);
  const audit = lastAudit('authentication_failed');
  assert.equal(audit.transport, 'ipc');
  assert.equal(audit.reason, 'first frame must be authenticate');
  await stillServing();
});

test('an unknown token is refused with its prefix audited, never the token', async () => {
  const token = 'ZZZZZZZZsecretsecretsecret1111111111';
  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'authenticate', token_b58: token });
  await raw.waitClosed();
  assert.deepEqual(raw.frames, [{ kind: 'authentication_failed', reason: 'unknown or revoked token' }]);
  const audit = lastAudit('authentication_failed');
  assert.equal(audit.token_prefix, 'ZZZZZZ');
  const everything = JSON.stringify(t.daemon.ctx.db.prepare('SELECT * FROM audit_events').all());
  assert.equal(everything.includes(token), false);
  assert.equal(everything.includes(t.operatorToken()), false);
});

test('a garbage frame before authentication closes the connection', async () => {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  void raw.sendBytes(rawFrame(Buffer.from('\u0000\u0001 not json')));
  await raw.waitClosed();
  assert.equal((raw.frames[0] as { kind: string }).kind, 'authentication_failed');
  await stillServing();
});

test('an oversize length header gets E_FRAME_TOO_LARGE and a closed connection', async () => {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  const header = Buffer.alloc(4);
  header.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
  void raw.sendBytes(header);
  await raw.waitClosed();
  assert.equal((raw.frames[0] as { code: string }).code, 'E_FRAME_TOO_LARGE');
  assert.match(lastAudit('frame_rejected').reason as string, /exceeds/);
  await stillServing();
});

test('invalid JSON after authentication is an error and the connection goes on', async () => {
  const client = await t.session();
  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
  void raw.sendBytes(rawFrame(Buffer.from('{"kind": "ping",')));
  raw.send({ kind: 'ping' });
  const frames = (await raw.waitFrames(3)) as Array<{ kind: string; code?: string }>;
  assert.equal(frames[0]!.kind, 'authenticated');
  assert.equal(frames[1]!.code, 'E_INVALID_JSON');
  assert.deepEqual(frames[2], { kind: 'daemon_ping', status: 'ok' });
  raw.destroy();
  client.close();
});

test('an unknown kind, a non-object and a bad parameter each get a stable error code', async () => {
  const client = await t.session();
  const unknown = await client.request({ kind: 'launch_missiles' });
  assert.equal(unknown.kind, 'error');
  assert.equal(unknown.code, 'E_UNKNOWN_KIND');
  assert.match(String(unknown.message), /covenant version/);
  assert.equal(lastAudit('request_rejected').code, 'E_UNKNOWN_KIND');

  const bad = await client.request({ kind: 'submit_intent', text: '' });
  assert.equal(bad.code, 'E_BAD_REQUEST');
  assert.match(String(bad.message), /text/);
  client.close();

  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
  raw.send([1, 2, 3]);
  const frames = (await raw.waitFrames(2)) as Array<{ code?: string }>;
  assert.equal(frames[1]!.code, 'E_BAD_REQUEST');
  raw.destroy();
});

test('a client that disconnects mid-frame leaves the daemon serving', async () => {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  const body = Buffer.from(JSON.stringify({ kind: 'protocol_info' }));
  await raw.sendBytes(rawFrame(body).subarray(0, 9));
  raw.destroy();
  await stillServing();
});

test('a frame split across many writes is reassembled', async () => {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  const bytes = rawFrame(Buffer.from(JSON.stringify({ kind: 'protocol_info', id: 'split' })));
  for (const byte of bytes) void raw.sendBytes(Buffer.from([byte]));
  const frames = (await raw.waitFrames(1)) as Array<{ id: string }>;
  assert.equal(frames[0]!.id, 'split');
  raw.destroy();
});

test('the socket is private to the owner', async () => {
  const { statSync } = await import('node:fs');
  assert.equal(statSync(t.daemon.paths.sock).mode & 0o777, 0o600);
  assert.equal(statSync(t.home).mode & 0o777, 0o700);
  assert.equal(statSync(t.daemon.paths.db).mode & 0o077, 0);
});
