/**
 * Item 12 of issue 8: the `rate_limited` rows account for the 429 answers exactly: the sum of
 * their `count` equals the number of 429s, with rows aggregated per second, summary rows
 * from the periodic flush, an audit write that fails (answered 503, not 429), the final flush
 * at shutdown and refusals after it.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { buildGateway, type GatewayState } from '../../src/gateway/index.js';
import type { Hono } from 'hono';
import type { GatewayEnv } from '../../src/gateway/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { auditRows, registerPeer } from './helpers.js';

let t: DaemonFixture;
let app: Hono<GatewayEnv>;
let state: GatewayState;
const clock = new FakeClock(5_000_000);

before(async () => {
  t = await DaemonFixture.start();
  ({ app, state } = buildGateway(t.daemon.ctx, { origins: [], ratePerSecond: 2, burst: 3, clock }));
});
after(async () => {
  await t.stop();
});

function rateLimitedCount(): { rows: number; summaries: number; aggregated: number; sum: number } {
  const rows = auditRows(t.daemon.ctx, 'rate_limited');
  return {
    rows: rows.length,
    summaries: rows.filter((row) => row.payload.path === null).length,
    aggregated: rows.filter((row) => (row.payload.count as number) > 1).length,
    sum: rows.reduce((total, row) => total + (row.payload.count as number), 0),
  };
}

test('the sum of the rows\' counts equals the number of 429 answers, exactly', async () => {
  const a = registerPeer(t.daemon.ctx, 'flood-a');
  const b = registerPeer(t.daemon.ctx, 'flood-b');
  const callers: Array<Record<string, string>> = [{ authorization: `Bearer ${a.token}` }, { authorization: `Bearer ${b.token}` }, {}];
  const statuses = new Map<number, number>();
  const answer = async (i: number) => {
    const response = await app.request('/ping', { headers: callers[i % callers.length]! });
    await response.arrayBuffer();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  };

  const audit = t.daemon.ctx.audit;
  const append = audit.append.bind(audit);
  for (let i = 0; i < 600; i += 1) {
    if (i % 7 === 6) clock.advance(130);
    if (i % 50 === 49) state.flushRateLimited(false);
    // For a while, the audit log refuses rate_limited rows: those requests are answered 503.
    if (i === 300) clock.advance(1000);
    const failing = i >= 300 && i < 315;
    if (failing) {
      audit.append = (issuer, event) => {
        if (event.kind === 'rate_limited') throw new Error('disk full');
        return append(issuer, event);
      };
    }
    try {
      await answer(i);
    } finally {
      audit.append = append;
    }
  }
  state.flushRateLimited(true); // what close() does at shutdown
  for (let i = 0; i < 9; i += 1) await answer(i); // after the final flush: each writes its own row

  const tooMany = statuses.get(429) ?? 0;
  const counted = rateLimitedCount();
  assert.ok(tooMany > 300, `only ${tooMany} answers were 429`);
  assert.ok(counted.summaries >= 3 && counted.aggregated >= 10, `the run must aggregate: ${JSON.stringify(counted)}`);
  assert.ok((statuses.get(503) ?? 0) >= 1, 'no 503 was answered while the audit log refused rows');
  assert.equal(counted.sum, tooMany, `rows ${JSON.stringify(counted)}, statuses ${JSON.stringify([...statuses])}`);
});
