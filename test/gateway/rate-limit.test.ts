import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { AuditThrottle, KeyedRateLimiter, retryAfterSeconds, TokenBucket } from '../../src/gateway/index.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { auditRows, registerPeer, startGatewayFixture, type GatewayFixture } from './helpers.js';

test('a token bucket allows its burst, then refills at its rate', () => {
  const clock = new FakeClock(1_000_000);
  const bucket = new TokenBucket(2, 3, clock);
  assert.deepEqual([bucket.take(), bucket.take(), bucket.take()], [{ allowed: true }, { allowed: true }, { allowed: true }]);
  assert.deepEqual(bucket.take(), { allowed: false, retryAfterMs: 500 });
  clock.advance(250);
  assert.deepEqual(bucket.take(), { allowed: false, retryAfterMs: 250 });
  clock.advance(250);
  assert.deepEqual(bucket.take(), { allowed: true });
  assert.equal(bucket.take().allowed, false);
  clock.advance(60_000);
  assert.equal(bucket.isFull(), true);
  for (let i = 0; i < 3; i += 1) assert.equal(bucket.take().allowed, true, `take ${i}`);
  assert.equal(bucket.take().allowed, false, 'refill is capped at the burst');
});

test('a clock stepping back mints no tokens', () => {
  const clock = new FakeClock(1_000_000);
  const bucket = new TokenBucket(1, 1, clock);
  assert.equal(bucket.take().allowed, true);
  clock.advance(-10_000);
  assert.equal(bucket.take().allowed, false);
  clock.advance(10_000);
  assert.equal(bucket.take().allowed, false, 'time already counted is not counted twice');
  clock.advance(1000);
  assert.equal(bucket.take().allowed, true);
});

test('bad limits are refused', () => {
  const clock = new FakeClock(1_000_000);
  assert.throws(() => new TokenBucket(0, 1, clock), RangeError);
  assert.throws(() => new TokenBucket(1, 0, clock), RangeError);
  assert.throws(() => new KeyedRateLimiter(Number.NaN, 10, clock), RangeError);
});

test('keyed limiter: one bucket per key, full buckets are swept', () => {
  const clock = new FakeClock(1_000_000);
  const limiter = new KeyedRateLimiter(1, 1, clock, 2);
  assert.equal(limiter.take('a').allowed, true);
  assert.equal(limiter.take('a').allowed, false);
  assert.equal(limiter.take('b').allowed, true, 'b has its own bucket');
  assert.equal(limiter.size, 2);
  clock.advance(5000);
  assert.equal(limiter.take('c').allowed, true);
  assert.equal(limiter.size, 1, 'a and b had refilled and were forgotten when the map was full');
});

test('Retry-After is whole seconds, at least 1', () => {
  assert.equal(retryAfterSeconds(1), 1);
  assert.equal(retryAfterSeconds(0), 1);
  assert.equal(retryAfterSeconds(1000), 1);
  assert.equal(retryAfterSeconds(1001), 2);
  assert.equal(retryAfterSeconds(9500), 10);
});

test('audit throttle: one row per key per second, each row counting the refusals it accounts for', () => {
  const clock = new FakeClock(1_000_000);
  const throttle = new AuditThrottle<string>(clock, 1000);
  assert.deepEqual(throttle.decide('k', 'ctx1'), { write: true, count: 1 });
  assert.deepEqual(throttle.decide('k', 'ctx2'), { write: false });
  assert.deepEqual(throttle.decide('k', 'ctx3'), { write: false });
  assert.deepEqual(throttle.decide('other', 'o'), { write: true, count: 1 }, 'keys are independent');
  clock.advance(999);
  assert.deepEqual(throttle.drain(), [], 'nothing is due before the interval');
  assert.deepEqual(throttle.decide('k', 'ctx4'), { write: false });
  clock.advance(1);
  assert.deepEqual(throttle.decide('k', 'ctx5'), { write: true, count: 4 }, 'ctx2, ctx3, ctx4 and itself');
  assert.deepEqual(throttle.decide('k', 'ctx6'), { write: false });
  clock.advance(1000);
  assert.deepEqual(throttle.drain(), [{ key: 'k', count: 1, context: 'ctx6' }], 'a summary counts only the held refusals');
  assert.deepEqual(throttle.drain(), []);
  clock.advance(1000);
  throttle.drain();
  assert.equal(throttle.size, 0, 'idle keys are forgotten');
  throttle.decide('z', 'a');
  throttle.decide('z', 'b');
  assert.deepEqual(throttle.drain(true), [{ key: 'z', count: 1, context: 'b' }], 'drain(true) ignores the interval');
});

test('audit throttle: a failed write answered otherwise is not counted; the held ones are retried', () => {
  const clock = new FakeClock(1_000_000);
  const throttle = new AuditThrottle<string>(clock, 1000);
  assert.deepEqual(throttle.decide('k', 'c'), { write: true, count: 1 });
  assert.deepEqual(throttle.decide('k', 'c'), { write: false });
  clock.advance(1000);
  assert.deepEqual(throttle.decide('k', 'c'), { write: true, count: 2 });
  throttle.undo('k', 2); // that request was answered 503, not 429
  assert.deepEqual(throttle.decide('k', 'c'), { write: true, count: 2 }, 'the held refusal and this one');
  throttle.restore('k', 3, 'c');
  assert.deepEqual(throttle.drain(true), [{ key: 'k', count: 3, context: 'c' }], 'a summary that could not be written is pending again');
});

test('audit throttle: after close every refusal writes its own row at once', () => {
  const clock = new FakeClock(1_000_000);
  const throttle = new AuditThrottle<string>(clock, 1000);
  throttle.decide('k', 'c');
  throttle.decide('k', 'c');
  assert.deepEqual(throttle.close(), [{ key: 'k', count: 1, context: 'c' }]);
  assert.deepEqual(throttle.decide('k', 'c'), { write: true, count: 1 });
  assert.deepEqual(throttle.decide('k', 'c'), { write: true, count: 1 });
});

let f: GatewayFixture;
const clock = new FakeClock(1_000_000);
let busyPrefix = '';

function countOf(rows: Array<{ payload: Record<string, unknown> }>): number {
  return rows.reduce((sum, row) => sum + (row.payload.count as number), 0);
}

before(async () => {
  f = await startGatewayFixture({ ratePerSecond: 1, burst: 2, clock });
});
after(async () => {
  await f.stop();
});

test('over its bucket a token gets 429 E_RATE_LIMITED with Retry-After, audited once per second', async () => {
  const peer = registerPeer(f.ctx, 'busy');
  for (let i = 0; i < 2; i += 1) assert.equal((await fetch(`${f.url}/ping`, { headers: f.bearer(peer.token) })).status, 200);
  const refused = await fetch(`${f.url}/ping`, { headers: f.bearer(peer.token) });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '1');
  const body = (await refused.json()) as Record<string, unknown>;
  assert.equal(body.kind, 'error');
  assert.equal(body.code, 'E_RATE_LIMITED');
  const again = await fetch(`${f.url}/ping`, { headers: f.bearer(peer.token) });
  assert.equal(again.status, 429);
  const rows = auditRows(f.ctx, 'rate_limited').filter((row) => row.payload.token_prefix === peer.token.slice(0, 6));
  assert.equal(rows.length, 1, 'the second refusal in the same second writes no row');
  assert.equal(rows[0]!.issuer_pubkey, peer.agentId.pubkey);
  assert.deepEqual(rows[0]!.payload, { transport: 'http', token_prefix: peer.token.slice(0, 6), count: 1, path: '/ping' });

  // Another token has its own bucket.
  assert.equal((await fetch(`${f.url}/ping`, { headers: f.bearer() })).status, 200);

  clock.advance(1000);
  assert.equal((await fetch(`${f.url}/ping`, { headers: f.bearer(peer.token) })).status, 200, 'one token refilled');
  const third = await fetch(`${f.url}/ping`, { headers: f.bearer(peer.token) });
  assert.equal(third.status, 429);
  busyPrefix = peer.token.slice(0, 6);
  // Whether `again` rides on third's row or on a summary row of the 1-second flush, it is
  // counted once; the exact sums are checked after close, in the last test.
  const after = auditRows(f.ctx, 'rate_limited').filter((row) => row.payload.token_prefix === busyPrefix);
  assert.ok(countOf(after) >= 2 && countOf(after) <= 3, `counts ${after.map((row) => row.payload.count).join(',')}`);
});

test('requests without a live token share the bucket of their remote address', async () => {
  const before = auditRows(f.ctx, 'authentication_failed').length;
  assert.equal((await fetch(`${f.url}/ping`)).status, 401);
  assert.equal((await fetch(`${f.url}/ping`, { headers: { authorization: 'Bearer unknownunknown' } })).status, 401);
  const limited = await fetch(`${f.url}/ping`, { headers: { authorization: 'Bearer anotherunknown' } });
  assert.equal(limited.status, 429, 'random tokens do not buy a fresh bucket');
  assert.equal(limited.headers.get('retry-after'), '1');
  const health = await fetch(`${f.url}/health`);
  assert.equal(health.status, 429, 'public routes count against the address too');
  assert.equal(auditRows(f.ctx, 'authentication_failed').length, before + 2, 'a refused flood writes no authentication_failed rows');
  const rows = auditRows(f.ctx, 'rate_limited').filter((row) => row.payload.token_prefix === null);
  assert.equal(rows.length, 1);
  assert.equal(rows[0]!.issuer_pubkey, f.ctx.identity.agentId.pubkey);
});

test('closing the gateway writes the count of refusals not yet audited', async () => {
  const before = auditRows(f.ctx, 'rate_limited').filter((row) => row.payload.token_prefix === null);
  const limited = await fetch(`${f.url}/ping`);
  assert.equal(limited.status, 429);
  await f.gw.close();
  const after = auditRows(f.ctx, 'rate_limited').filter((row) => row.payload.token_prefix === null);
  assert.equal(after.length, before.length + 1);
  assert.equal(after.at(-1)!.payload.count, 2, 'the health refusal and this one');
  assert.equal(after.at(-1)!.payload.path, null);
  assert.equal(countOf(after), 3, 'the address key was answered 429 three times');
  assert.equal(countOf(auditRows(f.ctx, 'rate_limited').filter((row) => row.payload.token_prefix === busyPrefix)), 3, 'the busy token was answered 429 three times');
});
