import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyAuditChain } from '../../src/audit/index.js';
import { HANDLERS } from '../../src/requests/handlers/index.js';
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

type Reply = { kind: string; code?: string; message?: string; id?: unknown; reason?: string };

async function stillServing(): Promise<void> {
  const client = await t.session();
  assert.deepEqual(await client.request({ kind: 'ping', id: 'after' }), { kind: 'daemon_ping', status: 'ok', id: 'after' });
  client.close();
}

function rowsAfter(seq: number, kind: string): Array<Record<string, unknown>> {
  const rows = t.daemon.ctx.db.prepare('SELECT payload FROM audit_events WHERE seq > ? AND kind = ? ORDER BY seq').all(seq, kind) as Array<{ payload: string }>;
  return rows.map((row) => JSON.parse(row.payload) as Record<string, unknown>);
}

function lastSeq(): number {
  return (t.daemon.ctx.db.prepare('SELECT COALESCE(MAX(seq), 0) AS seq FROM audit_events').get() as { seq: number }).seq;
}

/** An authenticated raw socket: the daemon's answers to each frame, in order. */
async function exchange(...messages: unknown[]): Promise<Reply[]> {
  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
  for (const message of messages) raw.send(message);
  const frames = (await raw.waitFrames(messages.length + 1, 60_000)) as Reply[];
  raw.destroy();
  assert.equal(frames[0]!.kind, 'authenticated');
  return frames.slice(1);
}

/** Replaces one handler for the length of `run`. */
async function withHandler<K extends keyof typeof HANDLERS>(kind: K, handler: unknown, run: () => Promise<void>): Promise<void> {
  const original = HANDLERS[kind];
  (HANDLERS as Record<string, unknown>)[kind] = handler;
  try {
    await run();
  } finally {
    (HANDLERS as Record<string, unknown>)[kind] = original;
  }
}

function assertNamesLogWithoutPath(message: string | undefined): void {
  assert.match(String(message), /covenantd\.log/);
  assert.equal(String(message).includes(t.home), false, `the message shows the home's path: ${message}`);
  assert.equal(String(message).includes('/'), String(message).includes('logs/'), 'no path other than "logs/"');
}

// ---------------------------------------------------------------- item 1: one frame cannot end the daemon

test('an unknown kind of several MiB is answered E_UNKNOWN_KIND quoting at most 200 characters of it', async () => {
  const seq = lastSeq();
  const kind = 'l'.repeat(MAX_FRAME_BYTES - 64);
  const [reply] = await exchange({ kind, id: 'huge' });
  assert.equal(reply!.code, 'E_UNKNOWN_KIND');
  assert.equal(reply!.id, 'huge');
  assert.ok(String(reply!.message).includes(`"${'l'.repeat(200)}"…(${kind.length - 200} more characters)`), String(reply!.message).slice(0, 400));
  assert.ok(String(reply!.message).length < 500);
  assert.deepEqual(
    rowsAfter(seq, 'request_rejected').map((row) => row.code),
    ['E_UNKNOWN_KIND'],
  );
  await stillServing();
});

test('a reply over the frame limit is answered E_RESPONSE_TOO_LARGE saying how to narrow it, and the connection goes on', async () => {
  const client = await t.session();
  // Control characters are escaped to six bytes each in JSON: 22 records of 64 KiB make a 8.6 MB reply.
  for (let i = 0; i < 22; i += 1) {
    const written = await client.request({ kind: 'memory_write', text: '\u0001'.repeat(65_536), tier: 'working' });
    assert.equal(written.kind, 'memory_written');
  }
  const seq = lastSeq();
  const reply = await client.request({ kind: 'memory_recent', limit: 1000, id: 'big' });
  assert.equal(reply.kind, 'error');
  assert.equal(reply.code, 'E_RESPONSE_TOO_LARGE');
  assert.equal(reply.id, 'big');
  assert.match(String(reply.message), /memory_recent would be 8\.\d MB/);
  assert.match(String(reply.message), /-n 50/);
  const rows = rowsAfter(seq, 'request_rejected');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.code, 'E_RESPONSE_TOO_LARGE');
  assert.equal(rows[0]!.request_kind, 'memory_recent');
  assert.ok(Number(rows[0]!.reply_bytes) > MAX_FRAME_BYTES);
  const narrower = await client.request({ kind: 'memory_recent', limit: 5 });
  assert.equal(narrower.kind, 'memory_read');
  assert.equal((narrower.records as unknown[]).length, 5);
  client.close();
});

test('a reply that cannot be encoded is answered E_INTERNAL, audited, and the daemon serves on', async () => {
  const seq = lastSeq();
  await withHandler('doctor', () => ({ kind: 'doctor_report', value: 1n }), async () => {
    const [reply] = await exchange({ kind: 'doctor', id: 3 });
    assert.equal(reply!.code, 'E_INTERNAL');
    assert.equal(reply!.id, 3);
    assertNamesLogWithoutPath(reply!.message);
  });
  const rows = rowsAfter(seq, 'request_rejected');
  assert.deepEqual(rows.map((row) => [row.code, row.request_kind]), [['E_INTERNAL', 'doctor']]);
  await stillServing();
});

test('a handler that throws is answered E_INTERNAL naming the log file without its absolute path', async () => {
  const seq = lastSeq();
  await withHandler('doctor', () => { throw new TypeError('boom'); }, async () => {
    const [reply] = await exchange({ kind: 'doctor' });
    assert.equal(reply!.code, 'E_INTERNAL');
    assertNamesLogWithoutPath(reply!.message);
  });
  assert.deepEqual(rowsAfter(seq, 'request_rejected').map((row) => row.code), ['E_INTERNAL']);
  await stillServing();
});

test('an exception outside the handler (the token liveness check) is answered E_INTERNAL, audited, and the daemon serves on', async () => {
  const seq = lastSeq();
  const peers = t.daemon.ctx.peers;
  const isLive = peers.isLive.bind(peers);
  let armed = false;
  peers.isLive = (hash: string) => {
    if (armed) {
      armed = false;
      throw new Error('database is locked');
    }
    return isLive(hash);
  };
  try {
    const raw = await RawSocket.open(t.daemon.paths.sock);
    raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
    await raw.waitFrames(1);
    armed = true;
    raw.send({ kind: 'ping', id: 'a' });
    raw.send({ kind: 'ping', id: 'b' });
    const frames = (await raw.waitFrames(3)) as Reply[];
    assert.equal(frames[1]!.code, 'E_INTERNAL');
    assert.equal(frames[1]!.id, 'a');
    assertNamesLogWithoutPath(frames[1]!.message);
    assert.deepEqual(frames[2], { kind: 'daemon_ping', status: 'ok', id: 'b' });
    raw.destroy();
  } finally {
    peers.isLive = isLive;
  }
  assert.deepEqual(rowsAfter(seq, 'request_rejected').map((row) => [row.code, row.request_kind]), [['E_INTERNAL', 'ping']]);
  await stillServing();
});

test('an exception before authentication (the token lookup) is answered E_INTERNAL, audited, and the connection closed', async () => {
  const seq = lastSeq();
  const peers = t.daemon.ctx.peers;
  const resolve = peers.resolve.bind(peers);
  peers.resolve = () => {
    throw new Error('disk I/O error');
  };
  try {
    const raw = await RawSocket.open(t.daemon.paths.sock);
    raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
    await raw.waitClosed();
    assert.equal((raw.frames[0] as Reply).code, 'E_INTERNAL');
    assertNamesLogWithoutPath((raw.frames[0] as Reply).message);
  } finally {
    peers.resolve = resolve;
  }
  assert.deepEqual(rowsAfter(seq, 'request_rejected').map((row) => [row.code, row.request_kind]), [['E_INTERNAL', 'authenticate']]);
  await stillServing();
});

test('when the audit log cannot be written either, a failing request is still answered and the daemon serves on', async () => {
  const audit = t.daemon.ctx.audit;
  const append = audit.append.bind(audit);
  let failing = false;
  audit.append = (...args: Parameters<typeof append>) => {
    if (failing) throw new Error('SQLITE_FULL');
    return append(...args);
  };
  try {
    await withHandler('doctor', () => ({ kind: 'doctor_report', value: 1n }), async () => {
      const raw = await RawSocket.open(t.daemon.paths.sock);
      raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
      await raw.waitFrames(1);
      failing = true;
      raw.send({ kind: 'doctor' });
      raw.send({ kind: 'no_such_kind' });
      const frames = (await raw.waitFrames(3)) as Reply[];
      assert.equal(frames[1]!.code, 'E_INTERNAL');
      assert.equal(frames[2]!.code, 'E_AUDIT_UNAVAILABLE');
      raw.destroy();
    });
  } finally {
    audit.append = append;
  }
  await stillServing();
});

// ---------------------------------------------------------------- item 7: every refusal is audited, whatever its bytes

test('a lone surrogate in kind is refused E_UNKNOWN_KIND and audited', async () => {
  const seq = lastSeq();
  const [reply] = await exchange({ kind: 'memory_\ud800recent' });
  assert.equal(reply!.code, 'E_UNKNOWN_KIND');
  assert.match(String(reply!.message), /covenant version/);
  const rows = rowsAfter(seq, 'request_rejected');
  assert.deepEqual(rows.map((row) => [row.code, row.request_kind]), [['E_UNKNOWN_KIND', 'memory_\ufffdrecent']]);
  assert.equal(verifyAuditChain(t.daemon.ctx.db, t.daemon.ctx.identity.agentId.pubkey).valid, true);
});

test('a lone surrogate in the token is refused and audited with a well-formed prefix', async () => {
  const seq = lastSeq();
  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'authenticate', token_b58: `ab\udc00${t.operatorToken().slice(3)}` });
  await raw.waitClosed();
  assert.deepEqual(raw.frames, [{ kind: 'authentication_failed', reason: 'unknown or revoked token' }]);
  const rows = rowsAfter(seq, 'authentication_failed');
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.token_prefix, `ab\ufffd${t.operatorToken().slice(3, 6)}`);
  assert.equal(verifyAuditChain(t.daemon.ctx.db, t.daemon.ctx.identity.agentId.pubkey).valid, true);
});

test('a lone surrogate in capability grant or revoke arguments is refused E_BAD_REQUEST and audited', async () => {
  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['capabilities_grant', { kind: 'capabilities_grant', action: 'memory.read\ud800' }, 'action'],
    ['capabilities_grant', { kind: 'capabilities_grant', action: 'memory.read', to: 'guest\udfff' }, 'to'],
    ['capabilities_grant', { kind: 'capabilities_grant', action: 'tools.call', scope: { arguments: { path: 'x\ud83d' } } }, 'scope.arguments.path'],
    ['capabilities_grant', { kind: 'capabilities_grant', action: 'tools.call', scope: { 'k\ud800': 1 } }, 'scope.k\\ud800'],
    ['capabilities_revoke', { kind: 'capabilities_revoke', id_or_signature: 'cap_\ud800' }, 'id_or_signature'],
  ];
  for (const [kind, message, field] of cases) {
    const seq = lastSeq();
    const [reply] = await exchange(message);
    assert.equal(reply!.code, 'E_BAD_REQUEST', `${field}: ${JSON.stringify(reply)}`);
    assert.ok(String(reply!.message).includes(`field "${field}" holds a lone UTF-16 surrogate`), String(reply!.message));
    assert.deepEqual(rowsAfter(seq, 'request_rejected').map((row) => [row.code, row.request_kind]), [['E_BAD_REQUEST', kind]], field);
  }
  assert.equal(verifyAuditChain(t.daemon.ctx.db, t.daemon.ctx.identity.agentId.pubkey).valid, true);
  await stillServing();
});

test('a request nested past 64 levels is refused E_BAD_REQUEST and audited, without recursing through it', async () => {
  const seq = lastSeq();
  const depth = 500_000;
  const body = Buffer.from(`{"kind":"capabilities_grant","action":"tools.call","scope":{"arguments":{"a":${'['.repeat(depth)}${']'.repeat(depth)}}}}`);
  const raw = await RawSocket.open(t.daemon.paths.sock);
  raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
  void raw.sendBytes(rawFrame(body));
  const frames = (await raw.waitFrames(2, 60_000)) as Reply[];
  raw.destroy();
  assert.equal(frames[1]!.code, 'E_BAD_REQUEST');
  assert.match(String(frames[1]!.message), /nests deeper than 64 levels/);
  assert.deepEqual(rowsAfter(seq, 'request_rejected').map((row) => row.code), ['E_BAD_REQUEST']);
  await stillServing();
});

test('a scope key of thousands of characters is quoted cut to 200 characters in the refusal', async () => {
  const key = 'l'.repeat(5000);
  const [reply] = await exchange({ kind: 'capabilities_grant', action: 'intent.submit', scope: { [key]: 1 } });
  assert.equal(reply!.code, 'E_CAPABILITY_INVALID');
  assert.ok(String(reply!.message).includes(`"${'l'.repeat(200)}"…(4800 more characters)`), String(reply!.message).slice(0, 300));
  assert.ok(String(reply!.message).length < 500);
});
