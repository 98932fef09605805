/** The socket's `audit_follow` subscription: refusals, the answer, pushed rows, and its end (issue 10, item 7). */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { RawSocket } from '../helpers/raw-socket.js';

let t: DaemonFixture;
before(async () => {
  t = await DaemonFixture.start();
});
after(async () => t.stop());

type Frame = { kind: string; id?: unknown; code?: string; message?: string; head_seq?: number; event?: { seq: number; kind: string } };

test('bad parameters and a missing audit.read are refused through the refusal path', async () => {
  const bad = await t.call({ kind: 'audit_follow', limit: -1 });
  assert.equal(bad.kind, 'error');
  assert.equal(bad.code, 'E_BAD_REQUEST');
  const peer = await t.addPeer('nosy');
  const checksBefore = t.audit('capability_check').length;
  const refused = await t.call({ kind: 'audit_follow' }, peer.token);
  assert.equal(refused.code, 'E_CAPABILITY_MISSING');
  assert.match(String(refused.message), /grant it with: covenant capabilities grant audit\.read --to nosy@peer/);
  const checks = t.audit('capability_check').slice(checksBefore);
  assert.deepEqual(checks.map((row) => [row.payload.required, row.payload.passed]), [['audit.read', false]]);
});

test('the answer carries the head seq; backlog then live rows are pushed; a further request ends the stream', async () => {
  const raw = await t.openRaw(t.operatorToken());
  raw.send({ kind: 'audit_follow', id: 9, limit: 2, kinds: ['intent_unrouted', 'capability_check'] });
  const [, ack, ...backlog] = (await raw.waitFrames(4)) as Frame[];
  assert.equal(ack!.kind, 'audit_follow');
  assert.equal(ack!.id, 9);
  const head = t.auditKinds().length;
  assert.ok(ack!.head_seq! >= head - 1, `head ${ack!.head_seq} of ${head} rows`);
  assert.deepEqual(backlog.map((f) => f.kind), ['audit_event', 'audit_event']);

  await t.ok({ kind: 'submit_intent', text: 'pushed to the follower' });
  const frames = (await raw.waitFrames(6)) as Frame[];
  const live = frames.slice(4).map((f) => f.event!.kind);
  assert.deepEqual(live, ['capability_check', 'intent_unrouted'], 'the check of the intent, then the row it wrote (other kinds filtered out)');

  raw.send({ kind: 'ping' });
  await raw.waitClosed();
  const last = raw.frames.at(-1) as Frame;
  assert.equal(last.kind, 'stream_end');
  assert.equal(last.code, 'E_BAD_REQUEST');
});

test('after_seq catches up on every row since, then goes live; daemon shutdown ends it with E_SHUTTING_DOWN', async () => {
  const before = t.auditKinds().length;
  await t.ok({ kind: 'submit_intent', text: 'written while away' });
  // Not the fixture's own raw socket: the fixture closes those before it stops the daemon.
  const raw = await RawSocket.open(t.paths.sock);
  raw.send({ kind: 'authenticate', token_b58: t.operatorToken() });
  raw.send({ kind: 'audit_follow', after_seq: before, kinds: ['intent_unrouted'] });
  const [, ack, caught] = (await raw.waitFrames(3)) as Frame[];
  assert.equal(ack!.kind, 'audit_follow');
  assert.equal(caught!.event!.kind, 'intent_unrouted');
  assert.ok(caught!.event!.seq > before);
  await t.stopDaemon();
  await raw.waitClosed();
  const last = raw.frames.at(-1) as Frame;
  assert.equal(last.kind, 'stream_end');
  assert.equal(last.code, 'E_SHUTTING_DOWN');
  await t.restart();
});
