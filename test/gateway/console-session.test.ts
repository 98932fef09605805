/**
 * The operator console's login (SPEC 19, docs/console.md), through app.request() on a real
 * in-process daemon with a hand-moved clock: one-time codes, the session cookie, idle expiry,
 * revocation, restarts, and every refusal audited with nothing changed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CODE_TTL_MS, SESSION_IDLE_MS } from '../../src/console/index.js';
import { createGatewayApp } from '../../src/gateway/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { FakeClock } from '../helpers/fake-clock.js';

const HOST = '127.0.0.1:8421';
const ORIGIN = `http://${HOST}`;

let f: DaemonFixture;
const clock = new FakeClock();

before(async () => {
  f = await DaemonFixture.start({ clock });
  f.ctx.gatewayUrl = ORIGIN;
});
after(async () => {
  await f.stop();
});

const app = () => createGatewayApp(f.ctx, { origins: [], ratePerSecond: 1_000_000, burst: 1_000_000 });
const cookieName = () => `covenant_console_${f.ctx.identity.agentId.pubkey.slice(0, 8)}`;
const lastSeq = () => (f.ctx.db.prepare('SELECT MAX(seq) AS seq FROM audit_events').get() as { seq: number }).seq;
const rowsAfter = (seq: number) =>
  (f.ctx.db.prepare('SELECT kind, payload FROM audit_events WHERE seq > ? ORDER BY seq').all(seq) as Array<{ kind: string; payload: string }>).map(
    (row) => ({ kind: row.kind, payload: JSON.parse(row.payload) as Record<string, unknown> }),
  );

async function code(): Promise<string> {
  const reply = await f.ok({ kind: 'console_code' });
  assert.match(String(reply.url), new RegExp(`^${ORIGIN}/#code=`));
  return String(reply.code);
}

function login(value: string, headers: Record<string, string> = { origin: ORIGIN }): Promise<Response> {
  return Promise.resolve(app().request('/console/session', { method: 'POST', headers: { host: HOST, 'content-type': 'application/json', ...headers }, body: JSON.stringify({ code: value }) }));
}

/** Logs in with a fresh code; the session token from the Set-Cookie header. */
async function session(): Promise<string> {
  const response = await login(await code());
  assert.equal(response.status, 200, await response.clone().text());
  const cookie = response.headers.get('set-cookie') ?? '';
  const token = new RegExp(`^${cookieName()}=([^;]+)`).exec(cookie)?.[1];
  assert.ok(token, cookie);
  return token;
}

function withCookie(path: string, token: string, init: RequestInit & { headers?: Record<string, string> } = {}, name = cookieName()): Promise<Response> {
  return Promise.resolve(app().request(path, { ...init, headers: { host: HOST, cookie: `${name}=${token}`, ...init.headers } }));
}

const peerCount = () => f.count('peers');

/**
 * A refusal: its status, code, and one authentication_failed row with this reason; nothing
 * else written. Returns that row's payload.
 */
async function refused(send: () => Promise<Response>, status: number, code: string, reason: string): Promise<Record<string, unknown>> {
  const since = lastSeq();
  const response = await send();
  assert.equal(response.status, status);
  const body = (await response.json()) as { kind: string; code: string; message: string };
  assert.equal(body.kind, 'error');
  assert.equal(body.code, code);
  assert.match(body.message, /covenant console|console page/);
  assert.equal(response.headers.get('set-cookie'), null);
  const rows = rowsAfter(since);
  assert.deepEqual(rows.map((row) => row.kind), ['authentication_failed']);
  assert.equal(rows[0]!.payload.reason, reason);
  assert.equal(rows[0]!.payload.transport, 'http');
  return rows[0]!.payload;
}

test('covenant console mints a one-time code: its URL carries it in the fragment; the audit row holds 6 characters of it', async () => {
  const since = lastSeq();
  const reply = await f.ok({ kind: 'console_code' });
  const value = String(reply.code);
  assert.equal(reply.url, `${ORIGIN}/#code=${value}`);
  assert.equal(reply.expires_at, clock.now() + CODE_TTL_MS);
  assert.ok(value.length >= 40);
  const rows = rowsAfter(since);
  assert.deepEqual(rows.map((row) => row.kind), ['console_code_issued']);
  assert.deepEqual(rows[0]!.payload, { code_prefix: value.slice(0, 6), expires_at: reply.expires_at });
  assert.ok(!JSON.stringify(f.ctx.db.prepare('SELECT * FROM audit_events').all()).includes(value), 'the code is in no audit row');
  assert.ok(!JSON.stringify(f.ctx.db.prepare('SELECT * FROM console_codes').all()).includes(value), 'only its hash is stored');
});

test('a peer cannot mint a console code: operator only, refused and audited', async () => {
  const peer = await f.addPeer('console-peer');
  const reply = await f.call({ kind: 'console_code' }, peer.token);
  assert.equal(reply.code, 'E_FORBIDDEN');
});

test('trading a code sets an HttpOnly SameSite=Strict cookie; the session acts as the operator', async () => {
  const value = await code();
  const since = lastSeq();
  const peersBefore = peerCount();
  const response = await login(value);
  assert.equal(response.status, 200);
  const cookie = response.headers.get('set-cookie') ?? '';
  assert.match(cookie, new RegExp(`^${cookieName()}=`));
  assert.match(cookie, /; HttpOnly/);
  assert.match(cookie, /; SameSite=Strict/);
  assert.match(cookie, /; Path=\//);
  const body = (await response.json()) as Record<string, unknown>;
  assert.equal(body.kind, 'console_session');
  assert.equal(body.idle_expiry_ms, SESSION_IDLE_MS);
  const token = /=([^;]+)/.exec(cookie)![1]!;
  assert.equal(body.token_prefix, token.slice(0, 6));
  assert.equal(peerCount(), peersBefore + 1, 'one operator peer row: `peers revoke` ends it');
  assert.deepEqual(rowsAfter(since), [{ kind: 'console_session_started', payload: { token_prefix: token.slice(0, 6), code_prefix: value.slice(0, 6) } }]);

  const whoami = await withCookie('/console/whoami', token);
  assert.equal(whoami.status, 200);
  assert.deepEqual(((await whoami.json()) as { agent: unknown }).agent, f.operator);
  const status = await withCookie('/status', token);
  assert.equal(status.status, 200, 'an operator-only route');
});

test('a code used twice is refused the second time, audited, and makes no second session', async () => {
  const value = await code();
  assert.equal((await login(value)).status, 200);
  const peersBefore = peerCount();
  const row = await refused(() => login(value), 401, 'E_AUTH_FAILED', 'console code already used');
  assert.equal(peerCount(), peersBefore);
  assert.equal(row.token_prefix, value.slice(0, 6));
});

test('a forged code is refused and audited; nothing changes', async () => {
  const peersBefore = peerCount();
  await refused(() => login('Forged1111111111111111111111111111111111111'), 401, 'E_AUTH_FAILED', 'unknown console code');
  await refused(() => login(''), 401, 'E_AUTH_FAILED', 'unknown console code');
  assert.equal(peerCount(), peersBefore);
});

test('a code is refused after its 2 minutes, and stays refused', async () => {
  const value = await code();
  clock.advance(CODE_TTL_MS);
  const peersBefore = peerCount();
  await refused(() => login(value), 401, 'E_AUTH_FAILED', 'expired console code');
  assert.equal(peerCount(), peersBefore);
});

test('a code sent from another origin is refused (403) and stays usable from the console itself', async () => {
  const value = await code();
  await refused(() => login(value, { origin: 'http://127.0.0.1:3000' }), 403, 'E_FORBIDDEN', 'console request from another origin');
  await refused(() => login(value, {}), 403, 'E_FORBIDDEN', 'console request from another origin');
  await refused(() => login(value, { origin: ORIGIN, 'sec-fetch-site': 'same-site' }), 403, 'E_FORBIDDEN', 'console request from another origin');
  assert.equal((await login(value)).status, 200, 'the refusals changed nothing');
});

test('with the cookie, a state change from another origin is refused and changes nothing; from the console it is served', async () => {
  const token = await session();
  const grant = await f.ok({ kind: 'capabilities_grant', action: 'memory.read', to: 'console-peer@peer' });
  const body = JSON.stringify({ id_or_signature: grant.id });
  const foreign = () => withCookie('/capabilities/revoke', token, { method: 'POST', headers: { origin: 'http://127.0.0.1:3000', 'content-type': 'application/json' }, body });
  await refused(foreign, 403, 'E_FORBIDDEN', 'console request from another origin');
  const noOrigin = () => withCookie('/capabilities/revoke', token, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  await refused(noOrigin, 403, 'E_FORBIDDEN', 'console request from another origin');
  assert.equal(f.count('capabilities', 'id = ? AND revoked_at IS NULL', grant.id), 1, 'still live');

  const own = await withCookie('/capabilities/revoke', token, { method: 'POST', headers: { origin: ORIGIN, 'content-type': 'application/json' }, body });
  assert.equal(own.status, 200);
  assert.equal(f.count('capabilities', 'id = ? AND revoked_at IS NULL', grant.id), 0);
  assert.equal(f.auditPayloads('capability_revoked').at(-1)?.id, grant.id);
});

test('only a console session token works as the cookie: the operator token in it is refused', async () => {
  await refused(() => withCookie('/status', f.operatorToken()), 401, 'E_AUTH_FAILED', 'unknown console session');
});

test('a cookie from another daemon is refused and audited', async () => {
  const other = await DaemonFixture.start();
  try {
    other.ctx.gatewayUrl = 'http://127.0.0.1:8422';
    const { code: otherCode } = other.ctx.console.issueCode(other.ctx.identity.agentId);
    const traded = other.ctx.console.exchange(otherCode);
    assert.ok(traded.ok);
    // Under this daemon's cookie name: an unknown session here.
    await refused(() => withCookie('/status', traded.token), 401, 'E_AUTH_FAILED', 'unknown console session');
    // Under the other daemon's name: no credential for this one at all.
    const otherName = `covenant_console_${other.ctx.identity.agentId.pubkey.slice(0, 8)}`;
    assert.notEqual(otherName, cookieName());
    const response = await withCookie('/status', traded.token, {}, otherName);
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as { code: string }).code, 'E_AUTH_REQUIRED');
  } finally {
    await other.stop();
  }
});

test('a request without the cookie (or a token) is refused 401 and audited', async () => {
  const since = lastSeq();
  const response = await app().request('/console/whoami', { headers: { host: HOST } });
  assert.equal(response.status, 401);
  assert.deepEqual(rowsAfter(since).map((row) => row.kind), ['authentication_failed']);
});

test('a session expires after 12 h idle (revoked, audited); use keeps it alive', async () => {
  const token = await session();
  clock.advance(SESSION_IDLE_MS - 1);
  assert.equal((await withCookie('/ping', token)).status, 200, 'used just in time');
  clock.advance(SESSION_IDLE_MS - 1);
  assert.equal((await withCookie('/ping', token)).status, 200, 'the idle clock restarted at the last use');
  clock.advance(SESSION_IDLE_MS + 1);
  const since = lastSeq();
  const response = await withCookie('/ping', token);
  assert.equal(response.status, 401);
  const rows = rowsAfter(since);
  assert.deepEqual(rows.map((row) => row.kind), ['console_session_expired', 'authentication_failed']);
  assert.equal(rows[0]!.payload.token_prefix, token.slice(0, 6));
  assert.equal(rows[1]!.payload.reason, 'expired console session');
  assert.equal(f.count('peers', 'token_prefix = ? AND revoked_at IS NOT NULL', token.slice(0, 6)), 1, '`peers list` shows it revoked');
  await refused(() => withCookie('/ping', token), 401, 'E_AUTH_FAILED', 'revoked console session');
});

test('covenant peers revoke <prefix> ends a console session', async () => {
  const token = await session();
  const reply = await f.ok({ kind: 'peers_revoke', token_prefix: token.slice(0, 6) });
  assert.equal((reply.outcome as { type: string }).type, 'revoked');
  await refused(() => withCookie('/ping', token), 401, 'E_AUTH_FAILED', 'revoked console session');
});

test('a console session survives a daemon restart; a code too, within its 2 minutes', async () => {
  const token = await session();
  const value = await code();
  await f.restart();
  f.ctx.gatewayUrl = ORIGIN;
  assert.equal((await withCookie('/ping', token)).status, 200);
  assert.equal((await login(value)).status, 200);
});

test('the page and its files carry a strict CSP and load nothing from elsewhere', async () => {
  const page = await app().request('/', { headers: { host: HOST } });
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'self'(;|$)/);
  assert.match(csp, /connect-src 'self'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
  const html = await page.text();
  assert.doesNotMatch(html, /(src|href)="(https?:)?\/\//, 'no absolute URL');
  assert.doesNotMatch(html, /<script(?![^>]*\ssrc=)[^>]*>/, 'no inline script');
  assert.doesNotMatch(html, /\sstyle=|<style/, 'no inline style');
  for (const asset of ['console.js', 'console.css', 'api.js', 'dom.js', 'views-admin.js', 'views-work.js']) {
    const response = await app().request(`/console/assets/${asset}`, { headers: { host: HOST } });
    assert.equal(response.status, 200, asset);
    assert.equal(response.headers.get('content-security-policy'), csp);
    const text = await response.text();
    assert.doesNotMatch(text, /https?:\/\/|innerHTML|eval\(|new Function/, `${asset} fetches or evaluates nothing from elsewhere`);
  }
  const missing = await app().request('/console/assets/nope.js', { headers: { host: HOST } });
  assert.equal(missing.status, 404);
  const traversal = await app().request('/console/assets/..%2Fsessions.ts', { headers: { host: HOST } });
  assert.equal(traversal.status, 404);
});
