import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AUDIT_EVENTS } from '../../src/audit/index.js';
import { CovenantError } from '../../src/core/index.js';
import { recordRefusal, refusalWith } from '../../src/requests/index.js';
import { lastSeq, registerPeer, revokeByHash, rowsAfter, startGatewayFixture, type GatewayFixture } from '../gateway/helpers.js';

let f: GatewayFixture;
before(async () => {
  f = await startGatewayFixture();
});
after(async () => {
  await f.stop();
});

const REQUIRED = ['transport', 'request_kind', 'code', 'token_prefix'];
const OPTIONAL = new Set(['reply_bytes', 'method', 'path']);

test('every refusal site writes one request_rejected row of the same shape, over the socket and over HTTP', async () => {
  const seq = lastSeq(f.ctx);
  const expected: Array<[string, string, string | null]> = [];

  // Socket: the request path (unknown kind) and the revoked-token check of the socket server.
  const operator = await f.t.session();
  assert.equal((await operator.request({ kind: 'no_such_kind' })).code, 'E_UNKNOWN_KIND');
  expected.push(['ipc', 'E_UNKNOWN_KIND', 'no_such_kind']);
  const peer = registerPeer(f.ctx, 'soon-revoked');
  const doomed = await f.t.session(peer.token);
  revokeByHash(f.ctx, peer.tokenHash);
  assert.equal((await doomed.request({ kind: 'ping' })).code, 'E_AUTH_FAILED');
  expected.push(['ipc', 'E_AUTH_FAILED', 'ping']);

  // HTTP: the route check, the body checks of a route, and the request path behind a route.
  const nowhere = await fetch(`${f.url}/nowhere`, { headers: f.bearer() });
  assert.equal(nowhere.status, 404);
  expected.push(['http', 'E_NOT_FOUND', null]);
  const post = (body: string) => fetch(`${f.url}/capabilities/purge`, { method: 'POST', headers: { ...f.bearer(), 'content-type': 'application/json' }, body });
  assert.equal((await post('[1]')).status, 400);
  expected.push(['http', 'E_BAD_REQUEST', 'capabilities_purge']);
  assert.equal((await post('{"kind":"ping"}')).status, 400);
  expected.push(['http', 'E_BAD_REQUEST', 'capabilities_purge']);
  assert.equal((await post('{"before_ms":"yesterday"}')).status, 400);
  expected.push(['http', 'E_BAD_REQUEST', 'capabilities_purge']);

  const rows = rowsAfter(f.ctx, seq).filter((row) => row.kind === 'request_rejected');
  assert.deepEqual(
    rows.map((row) => [row.payload.transport, row.payload.code, row.payload.request_kind]),
    expected,
    'one row per refusal, in order',
  );
  for (const row of rows) {
    const keys = Object.keys(row.payload);
    assert.deepEqual(keys.slice(0, 4), REQUIRED, `field order of ${JSON.stringify(row.payload)}`);
    assert.ok(keys.slice(4).every((key) => OPTIONAL.has(key)), `extra fields in ${JSON.stringify(row.payload)}`);
    assert.ok(AUDIT_EVENTS.request_rejected.safeParse(row.payload).success);
  }
  const [notFound] = rows.filter((row) => row.payload.code === 'E_NOT_FOUND');
  assert.deepEqual(notFound?.payload, { transport: 'http', request_kind: null, code: 'E_NOT_FOUND', token_prefix: f.t.operatorToken.slice(0, 6), method: 'GET', path: '/nowhere' });
});

test('a refusal carrying its own event writes that event instead, and keeps its cause', () => {
  const seq = lastSeq(f.ctx);
  const cause = new Error('underneath');
  const refusal = new CovenantError('E_FRAME_TOO_LARGE', 'too big', {
    cause,
    auditEvent: { kind: 'frame_rejected', payload: { transport: 'ipc', reason: 'test', authenticated: false, token_prefix: null } },
  });
  const site = { transport: 'ipc' as const, issuer: f.ctx.identity.agentId, tokenPrefix: null, requestKind: null };
  assert.equal(recordRefusal(f.ctx, refusal, site), refusal);
  assert.equal(refusal.cause, cause);
  assert.deepEqual(rowsAfter(f.ctx, seq).map((row) => row.kind), ['frame_rejected']);
});

test('when the row cannot be written the answer is E_AUDIT_UNAVAILABLE, carrying the write error as its cause', () => {
  const append = f.ctx.audit.append.bind(f.ctx.audit);
  const failure = new Error('disk trouble');
  f.ctx.audit.append = () => {
    throw failure;
  };
  try {
    const site = { transport: 'http' as const, issuer: f.ctx.identity.agentId, tokenPrefix: null, requestKind: 'ping' };
    const answer = recordRefusal(f.ctx, new CovenantError('E_BAD_REQUEST', 'bad'), site);
    assert.equal(answer.code, 'E_AUDIT_UNAVAILABLE');
    assert.equal(answer.cause, failure);
  } finally {
    f.ctx.audit.append = append;
  }
});

test('a refusal event off its schema is refused like any other row: the answer is E_AUDIT_UNAVAILABLE, nothing is written', () => {
  const seq = lastSeq(f.ctx);
  // @ts-expect-error -- frame_rejected needs `authenticated`
  const refusal = refusalWith('E_INVALID_JSON', 'bad', { kind: 'frame_rejected', payload: { transport: 'ipc', reason: 'x', token_prefix: null } });
  const site = { transport: 'ipc' as const, issuer: f.ctx.identity.agentId, tokenPrefix: null, requestKind: null };
  assert.equal(recordRefusal(f.ctx, refusal, site).code, 'E_AUDIT_UNAVAILABLE');
  assert.deepEqual(rowsAfter(f.ctx, seq), []);
});
