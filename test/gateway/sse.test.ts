import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { AuditEvent } from '../../src/audit/index.js';
import { CovenantError } from '../../src/core/index.js';
import type { Authorizer } from '../../src/requests/index.js';
import { auditRows, grantAction, registerPeer, revokeByHash, SseReader, startGatewayFixture, type GatewayFixture } from './helpers.js';
import { marked } from '../helpers/audit-probe.js';

let f: GatewayFixture;
let activeListeners = 0;

before(async () => {
  f = await startGatewayFixture({ heartbeatMs: 100 });
  // Count live subscriptions, to see streams unsubscribe.
  const subscribe = f.ctx.audit.subscribe.bind(f.ctx.audit);
  f.ctx.audit.subscribe = (listener) => {
    activeListeners += 1;
    const unsubscribe = subscribe(listener);
    let done = false;
    return () => {
      if (!done) activeListeners -= 1;
      done = true;
      return unsubscribe();
    };
  };
});
after(async () => {
  await f.stop();
});

async function openStream(token: string): Promise<{ response: Response; sse: SseReader }> {
  const response = await fetch(`${f.url}/audit/stream`, { headers: f.bearer(token) });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const sse = new SseReader(response);
  assert.ok(await sse.until((text) => text.includes(': connected')), 'no opening comment');
  return { response, sse };
}

function reader(name: string) {
  const peer = registerPeer(f.ctx, name);
  grantAction(f.ctx, peer.agentId, 'audit.read');
  return peer;
}

async function waitFor(predicate: () => boolean, timeoutMs = 60_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  return predicate();
}

test('the operator stream receives a row appended after connecting, as event: audit with id: seq', async () => {
  const { sse } = await openStream(f.t.operatorToken);
  const peer = registerPeer(f.ctx, 'someone');
  const row = f.ctx.audit.append(peer.agentId, marked('sse_probe'));
  assert.ok(await sse.until((text) => text.includes('sse_probe')), `no event: ${sse.text}`);
  const events = sse.events();
  const probe = events.find((event) => (event.data as AuditEvent).payload.agent === 'sse_probe');
  assert.ok(probe);
  assert.equal(probe.event, 'audit');
  assert.equal(probe.id, String(row.seq));
  assert.deepEqual(probe.data, JSON.parse(JSON.stringify(row)));
  await sse.cancel();
});

test('a peer stream carries only the rows that peer issued', async () => {
  const peer = reader('watcher');
  const { sse } = await openStream(peer.token);
  f.ctx.audit.append(f.ctx.identity.agentId, marked('not_for_peer'));
  f.ctx.audit.append(registerPeer(f.ctx, 'other').agentId, marked('not_for_peer_either'));
  f.ctx.audit.append(peer.agentId, marked('for_peer'));
  assert.ok(await sse.until((text) => text.includes('for_peer')), sse.text);
  assert.ok(!sse.text.includes('not_for_peer'), 'a row of another issuer was streamed');
  assert.deepEqual(
    sse.events().map((event) => (event.data as AuditEvent).issuer.pubkey),
    [peer.agentId.pubkey],
  );
  await sse.cancel();
});

test('heartbeat comments keep the stream alive', async () => {
  const { sse } = await openStream(f.t.operatorToken);
  assert.ok(await sse.until((text) => text.includes(': heartbeat\n\n')), sse.text);
  await sse.cancel();
});

test('disconnectToken closes the streams of that token only', async () => {
  const peer = reader('revokee');
  const victim = await openStream(peer.token);
  const bystander = await openStream(f.t.operatorToken);
  assert.equal(f.gw.disconnectToken(peer.tokenHash), 1);
  assert.ok(await victim.sse.ended(), 'the stream of the disconnected token stayed open');
  f.ctx.audit.append(f.ctx.identity.agentId, marked('after_disconnect'));
  assert.ok(await bystander.sse.until((text) => text.includes('after_disconnect')), 'the other stream was closed too');
  assert.equal(bystander.sse.done, false);
  assert.equal(f.gw.disconnectToken(peer.tokenHash), 0);
  await bystander.sse.cancel();
});

test('a token revoked in the store loses its stream at the next event even without disconnectToken', async () => {
  const peer = reader('quiet-revokee');
  const { sse } = await openStream(peer.token);
  revokeByHash(f.ctx, peer.tokenHash);
  f.ctx.audit.append(peer.agentId, marked('after_revocation'));
  assert.ok(await sse.ended(), 'the revoked stream stayed open');
  assert.ok(!sse.text.includes('after_revocation'), 'a revoked token received a row');
});

test('revoking a peer over HTTP (POST /peers/revoke) closes its open stream at once', async () => {
  const peer = reader('revoked-over-http');
  const { sse } = await openStream(peer.token);
  const disconnected: string[] = [];
  const disconnectToken = f.gw.disconnectToken;
  f.gw.disconnectToken = (hash) => {
    disconnected.push(hash);
    return disconnectToken(hash);
  };
  const response = await fetch(`${f.url}/peers/revoke`, {
    method: 'POST',
    headers: f.bearer(),
    body: JSON.stringify({ token_prefix: peer.token.slice(0, 6) }),
  });
  assert.equal(response.status, 200);
  const body = (await response.json()) as { kind: string; outcome: { type: string } };
  assert.equal(body.kind, 'peer_revoke');
  assert.equal(body.outcome.type, 'revoked');
  assert.ok(await sse.ended(2000), 'the revoked peer kept its stream');
  f.gw.disconnectToken = disconnectToken;
  assert.deepEqual(disconnected, [peer.tokenHash], 'the revocation did not go through disconnectToken');
  assert.equal(f.gw.countToken(peer.tokenHash), 0);
});

test('a client disconnect unsubscribes from the audit log', async () => {
  await waitFor(() => activeListeners === 0);
  const baseline = activeListeners;
  assert.equal(baseline, 0, 'an earlier stream is still subscribed');
  const controller = new AbortController();
  const response = await fetch(`${f.url}/audit/stream`, { headers: f.bearer(), signal: controller.signal });
  assert.equal(response.status, 200);
  assert.ok(await waitFor(() => activeListeners === 1), 'the stream did not subscribe');
  controller.abort();
  assert.ok(await waitFor(() => activeListeners === 0), 'the stream stayed subscribed after the client left');
});

test('a stream refused by the authorizer answers 403 and is audited as audit_stream', async () => {
  const original = f.ctx.authorizer;
  const seen: unknown[] = [];
  const refusing: Authorizer = {
    require(caller, authorization, requestKind) {
      seen.push({ action: authorization.action, requestKind });
      if (caller.role !== 'operator') throw new CovenantError('E_CAPABILITY_MISSING', 'needs audit.read: covenant capabilities grant audit.read');
    },
  };
  f.ctx.authorizer = refusing;
  const peer = registerPeer(f.ctx, 'nocap');
  try {
    const response = await fetch(`${f.url}/audit/stream`, { headers: f.bearer(peer.token) });
    assert.equal(response.status, 403);
    const body = (await response.json()) as Record<string, unknown>;
    assert.equal(body.code, 'E_CAPABILITY_MISSING');
    assert.deepEqual(seen, [{ action: 'audit.read', requestKind: 'audit_stream' }]);
    const row = auditRows(f.ctx, 'request_rejected').at(-1)!;
    assert.deepEqual(row.payload, { transport: 'http', request_kind: 'audit_stream', code: 'E_CAPABILITY_MISSING', token_prefix: peer.token.slice(0, 6) });
  } finally {
    f.ctx.authorizer = original;
  }
});

test('closing the gateway ends open streams', async () => {
  const { sse } = await openStream(f.t.operatorToken);
  await f.gw.close();
  assert.ok(await sse.ended(), 'the stream outlived the gateway');
  const refused = await fetch(`${f.url}/health`).then(
    () => 'answered',
    () => 'refused',
  );
  assert.equal(refused, 'refused');
});
