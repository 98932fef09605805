/**
 * Live tests for the HTTP gateway (SPEC 4): the real covenantd binary started without
 * `--no-http`, on a free loopback port given through COVENANT_HTTP_PORT, driven with fetch
 * (and the real covenant CLI where a step belongs to the CLI).
 *
 * External service: none beyond a free TCP port on 127.0.0.1.
 *
 *   npm run build && COVENANT_LIVE=1 node --import tsx --test test/live/live_http_gateway.test.ts
 *
 * Skipped unless COVENANT_LIVE=1.
 */
import assert from 'node:assert/strict';
import { IpcClient } from '../../src/ipc/index.js';
import { liveHome, liveTest } from './harness.js';
import { auditRows, query, startWithHttp } from './helpers.js';

function auditTableText(home: string): string {
  return JSON.stringify(query(home, 'SELECT * FROM audit_events'));
}

liveTest('live_http_health_and_version_are_public', async () => {
  const live = liveHome();
  try {
    const url = await startWithHttp(live);
    const health = await fetch(`${url}/health`);
    assert.equal(health.status, 200);
    assert.deepEqual(await health.json(), { status: 'ok' });

    const version = await fetch(`${url}/version`);
    assert.equal(version.status, 200);
    const client = await IpcClient.connect(live.daemon!.sock);
    const info = await client.protocolInfo();
    client.close();
    assert.deepEqual(await version.json(), info);
    assert.equal(info.protocol, 'covenant.ipc');

    // Public routes write no authentication_failed rows.
    assert.equal(auditRows(live.home, 'authentication_failed').length, 0);

    // With --no-http the same home and port serve nothing.
    await live.daemon!.stop('SIGTERM');
    await live.start(['--no-http']);
    const refused = await fetch(`${url}/health`).then(
      () => 'answered',
      () => 'refused',
    );
    assert.equal(refused, 'refused', '--no-http still served HTTP');
  } finally {
    await live.dispose();
  }
});

liveTest('live_http_bearer_auth_rejects_and_audits', async () => {
  const live = liveHome();
  try {
    const url = await startWithHttp(live);
    const unknown = 'LiveUnknownToken11111111111111111111111111111';
    const attempts: Array<{ headers: Record<string, string>; code: string; reason: string; prefix: string | null }> = [
      { headers: {}, code: 'E_AUTH_REQUIRED', reason: 'missing bearer token', prefix: null },
      { headers: { authorization: 'Bearer' }, code: 'E_AUTH_FAILED', reason: 'malformed authorization header', prefix: null },
      { headers: { authorization: `Bearer ${unknown}` }, code: 'E_AUTH_FAILED', reason: 'unknown token', prefix: unknown.slice(0, 6) },
    ];
    for (const attempt of attempts) {
      const response = await fetch(`${url}/peers/list`, { headers: attempt.headers });
      assert.equal(response.status, 401, attempt.reason);
      const body = (await response.json()) as Record<string, unknown>;
      assert.equal(body.kind, 'error');
      assert.equal(body.code, attempt.code);
    }
    const rows = auditRows(live.home, 'authentication_failed');
    assert.deepEqual(
      rows.map((row) => row.payload),
      attempts.map((attempt) => ({ transport: 'http', reason: attempt.reason, token_prefix: attempt.prefix, method: 'GET', path: '/peers/list' })),
    );

    // A revoked token is refused too: add a peer with the CLI, use it, revoke it, use it again.
    const added = live.cli(['peers', 'add', 'httpguest', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const guestToken = String(added.json!.token_b58);
    const before = await fetch(`${url}/ping`, { headers: { authorization: `bearer ${guestToken}` } });
    assert.equal(before.status, 200);
    assert.deepEqual(await before.json(), { kind: 'daemon_ping', status: 'ok' });
    const revoked = live.cli(['peers', 'revoke', guestToken.slice(0, 6), '--json']);
    assert.equal(revoked.code, 0, revoked.stdout + revoked.stderr);
    const after = await fetch(`${url}/ping`, { headers: { authorization: `Bearer ${guestToken}` } });
    assert.equal(after.status, 401);
    assert.equal(((await after.json()) as Record<string, unknown>).code, 'E_AUTH_FAILED');
    const last = auditRows(live.home, 'authentication_failed').at(-1)!;
    assert.deepEqual(last.payload, { transport: 'http', reason: 'revoked token', token_prefix: guestToken.slice(0, 6), method: 'GET', path: '/ping' });

    // The operator's token works, and no token ever reached the audit table.
    const operator = await fetch(`${url}/peers/list`, { headers: { authorization: `Bearer ${live.operatorToken()}` } });
    assert.equal(operator.status, 200);
    assert.equal(((await operator.json()) as Record<string, unknown>).kind, 'peer_list');
    const table = auditTableText(live.home);
    for (const secret of [unknown, guestToken, live.operatorToken()]) assert.ok(!table.includes(secret.slice(0, 7)), 'a token reached the audit table');
  } finally {
    await live.dispose();
  }
});

liveTest('live_http_intent_round_trip', async () => {
  const live = liveHome();
  try {
    const url = await startWithHttp(live);
    const auth = { authorization: `Bearer ${live.operatorToken()}` };
    const response = await fetch(`${url}/intent`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'live over http' }),
    });
    assert.equal(response.status, 200);
    const overHttp = (await response.json()) as Record<string, unknown>;
    assert.equal(overHttp.kind, 'intent_result');
    assert.equal(overHttp.status, 'unrouted');
    assert.match(String(overHttp.text), /^no agent is installed, so none could take this intent/);

    // The CLI (over the socket) answers the same JSON for the same intent.
    const cli = live.cli(['intent', '--json', 'live', 'over', 'http']);
    assert.equal(cli.code, 0, cli.stderr);
    assert.notEqual(cli.json!.intent_id, overHttp.intent_id);
    assert.deepEqual({ ...overHttp, intent_id: null }, { ...cli.json, intent_id: null });

    // Bad input over HTTP: invalid JSON 400, empty text 400, wrong route 404.
    const badJson = await fetch(`${url}/intent`, { method: 'POST', headers: auth, body: '{"text":' });
    assert.equal(badJson.status, 400);
    assert.equal(((await badJson.json()) as Record<string, unknown>).code, 'E_INVALID_JSON');
    const empty = await fetch(`${url}/intent`, { method: 'POST', headers: auth, body: JSON.stringify({ text: '' }) });
    assert.equal(empty.status, 400);
    assert.equal(((await empty.json()) as Record<string, unknown>).code, 'E_BAD_REQUEST');
    const nowhere = await fetch(`${url}/intents/nowhere`, { headers: auth });
    assert.equal(nowhere.status, 404);
  } finally {
    await live.dispose();
  }
});

liveTest('live_http_audit_stream_closes_when_the_token_is_revoked', async () => {
  const live = liveHome();
  try {
    const url = await startWithHttp(live);
    const added = live.cli(['peers', 'add', 'streamer', '--json']);
    assert.equal(added.code, 0, added.stderr);
    const token = String(added.json!.token_b58);
    const agent = added.json!.agent_id as { display: string; pubkey: string };
    const granted = live.cli(['capabilities', 'grant', 'audit.read', '--to', agent.pubkey, '--json']);
    assert.equal(granted.code, 0, granted.stdout + granted.stderr);
    const response = await fetch(`${url}/audit/stream`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    const reader: ReadableStreamDefaultReader<Uint8Array> = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = '';
    let ended = false;
    const readUntil = async (predicate: () => boolean, timeoutMs: number) => {
      const deadline = Date.now() + timeoutMs;
      while (!predicate() && !ended && Date.now() < deadline) {
        const chunk = await Promise.race([reader.read(), new Promise<null>((resolve) => setTimeout(() => resolve(null), deadline - Date.now()))]);
        if (chunk === null) break;
        if (chunk.done) ended = true;
        else text += decoder.decode(chunk.value, { stream: true });
      }
    };
    await readUntil(() => text.includes(': connected'), 60_000);
    assert.match(text, /: connected/);

    // A row the peer issues itself reaches its stream.
    const ping = live.cli(['ping', '--json'], { COVENANT_TOKEN: token });
    assert.equal(ping.code, 0, ping.stderr);
    const intent = live.cli(['intent', '--json', 'streamed', 'row'], { COVENANT_TOKEN: token });
    await readUntil(() => text.includes('event: audit'), 60_000);
    assert.match(text, /event: audit\ndata: \{.*"pubkey":"/, `no audit event on the stream (intent exit ${intent.code}): ${text}`);
    for (const block of text.split('\n\n').filter((b) => b.startsWith('event: audit'))) {
      const data = JSON.parse(block.split('\n').find((line) => line.startsWith('data: '))!.slice(6)) as { issuer: { pubkey: string } };
      assert.equal(data.issuer.pubkey, agent.pubkey, 'a row of another issuer reached a peer');
    }

    // Revoking the token with the CLI closes the stream at once.
    const revoked = live.cli(['peers', 'revoke', token.slice(0, 6), '--json']);
    assert.equal(revoked.code, 0, revoked.stdout + revoked.stderr);
    await readUntil(() => false, 60_000);
    assert.equal(ended, true, 'the stream of a revoked token stayed open');
  } finally {
    await live.dispose();
  }
});
