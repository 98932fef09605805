import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { queryAuditEvents, type AuditEvent } from '../../src/audit/index.js';
import { randomBase58 } from '../../src/core/index.js';
import type { AgentId } from '../../src/identity/index.js';
import type { IpcClient, WireMessage } from '../../src/ipc/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { grantIfGated, logHarness, newAgent, type LogHarness } from './audit-test-helpers.js';
import { probe } from '../helpers/audit-probe.js';

describe('queryAuditEvents', () => {
  let h: LogHarness;
  const alice = newAgent('alice@host');
  const bob = newAgent('bob@host');
  before(() => {
    h = logHarness();
    // seq 1..12 at t0 + 10*(seq-1); kinds alternate, issuers alternate in pairs.
    for (let i = 0; i < 12; i += 1) {
      h.log.append(i % 4 < 2 ? alice : bob, probe(i, i % 2 === 0 ? 'peers_purged' : 'capabilities_purged'));
      h.clock.advance(10);
    }
  });
  after(() => h.done());
  const t0 = 1_700_000_000_000;
  const seqs = (events: AuditEvent[]) => events.map((e) => e.seq);

  test('newest first, limited', () => {
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 3, visibleTo: null })), [12, 11, 10]);
    assert.equal(queryAuditEvents(h.db, { limit: 1000, visibleTo: null }).length, 12);
  });

  test('since_ms keeps rows at or after the time', () => {
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 50, sinceMs: t0 + 90, visibleTo: null })), [12, 11, 10]);
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 50, sinceMs: t0 + 91, visibleTo: null })), [12, 11]);
  });

  test('after_seq answers the rows after the cursor, oldest first, limited from the oldest', () => {
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 50, afterSeq: 9, visibleTo: null })), [10, 11, 12]);
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 2, afterSeq: 3, visibleTo: null })), [4, 5]);
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 2, afterSeq: 12, visibleTo: null })), []);
  });

  test('kinds filter keeps only the listed kinds', () => {
    const odd = queryAuditEvents(h.db, { limit: 50, kinds: ['capabilities_purged'], visibleTo: null });
    assert.deepEqual(seqs(odd), [12, 10, 8, 6, 4, 2]);
    assert.equal(queryAuditEvents(h.db, { limit: 50, kinds: ['capabilities_purged', 'peers_purged'], visibleTo: null }).length, 12);
    assert.equal(queryAuditEvents(h.db, { limit: 50, kinds: ['nothing'], visibleTo: null }).length, 0);
  });

  test('issuer filter matches a whole pubkey or a prefix of one', () => {
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 50, issuerPrefix: alice.pubkey, visibleTo: null })), [10, 9, 6, 5, 2, 1]);
    const prefix = bob.pubkey.slice(0, 5);
    const byPrefix = queryAuditEvents(h.db, { limit: 50, issuerPrefix: prefix, visibleTo: null });
    assert.ok(byPrefix.length >= 6 && byPrefix.every((e) => e.issuer.pubkey.startsWith(prefix)));
    assert.throws(() => queryAuditEvents(h.db, { limit: 50, issuerPrefix: '%', visibleTo: null }), RangeError);
  });

  test('visibility applies on top of every filter', () => {
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 50, visibleTo: bob.pubkey })), [12, 11, 8, 7, 4, 3]);
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 50, issuerPrefix: alice.pubkey, visibleTo: bob.pubkey })), []);
    assert.deepEqual(seqs(queryAuditEvents(h.db, { limit: 50, kinds: ['peers_purged'], afterSeq: 3, visibleTo: bob.pubkey })), [7, 11]);
  });

  test('filters combine and the row comes back whole', () => {
    const [row] = queryAuditEvents(h.db, { limit: 1, kinds: ['peers_purged'], issuerPrefix: bob.pubkey, sinceMs: t0, visibleTo: null });
    assert.ok(row);
    assert.equal(row.seq, 11);
    assert.deepEqual(row.issuer, bob);
    assert.deepEqual(row.payload, { before_ms: 10, purged: 10 });
    assert.match(row.event_hash, /^[0-9a-f]{64}$/);
    assert.match(row.chain_hash, /^[0-9a-f]{64}$/);
  });
});

describe('audit_recent over the socket', () => {
  let t: DaemonFixture;
  let bob: AgentId;
  let bobToken: string;
  let operator: IpcClient;

  before(async () => {
    t = await DaemonFixture.start();
    bob = newAgent('bob@peer');
    bobToken = randomBase58(32);
    t.daemon.ctx.peers.register(bobToken, bob, 'peer');
    grantIfGated(t.daemon.ctx, bob, 'audit.read');
    grantIfGated(t.daemon.ctx, t.daemon.ctx.identity.agentId, 'audit.read');
    t.daemon.ctx.audit.append(bob, probe(1, 'capabilities_purged'));
    t.daemon.ctx.audit.append(bob, probe(2, 'capabilities_purged'));
    operator = await t.session();
    await operator.request({ kind: 'submit_intent', text: 'operator row' });
  });
  after(async () => {
    await t.stop();
  });

  async function recent(client: IpcClient, params: Record<string, unknown> = {}): Promise<WireMessage> {
    return client.request({ kind: 'audit_recent', ...params });
  }

  test('the answer has the contract shape with default limit 50 and null filters', async () => {
    const reply = await recent(operator);
    assert.equal(reply.kind, 'audit_recent');
    assert.equal(reply.limit, 50);
    assert.deepEqual(reply.filters, { since_ms: null, after_seq: null, kinds: null, issuer: null });
    const events = reply.events as AuditEvent[];
    assert.ok(events.length > 0);
    assert.deepEqual(Object.keys(events[0]!).sort(), ['chain_hash', 'event_hash', 'id', 'issuer', 'kind', 'payload', 'seq', 'timestamp_ms']);
    const seqs = events.map((e) => e.seq);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a), 'newest first');
  });

  test('filters are echoed back', async () => {
    const reply = await recent(operator, { limit: 5, since_ms: 1, after_seq: 0, kinds: ['intent_unrouted'], issuer: bob.pubkey.slice(0, 4) });
    assert.deepEqual(reply.filters, { since_ms: 1, after_seq: 0, kinds: ['intent_unrouted'], issuer: bob.pubkey.slice(0, 4) });
    assert.equal(reply.limit, 5);
  });

  test('the operator sees every issuer', async () => {
    const events = (await recent(operator, { limit: 1000 })).events as AuditEvent[];
    const issuers = new Set(events.map((e) => e.issuer.pubkey));
    assert.ok(issuers.has(bob.pubkey));
    assert.ok(issuers.has(t.daemon.ctx.identity.agentId.pubkey));
    const bobs = (await recent(operator, { issuer: bob.pubkey, kinds: ['capabilities_purged'] })).events as AuditEvent[];
    assert.deepEqual(bobs.map((e) => e.payload), [{ before_ms: 2, purged: 2 }, { before_ms: 1, purged: 1 }]);
  });

  test('a peer sees only the rows it issued, whatever it asks for', async () => {
    const client = await t.session(bobToken);
    const mine = (await recent(client, { limit: 1000 })).events as AuditEvent[];
    assert.ok(mine.length >= 2);
    assert.ok(mine.every((e) => e.issuer.pubkey === bob.pubkey), 'only bob rows');
    assert.deepEqual(
      ((await recent(client, { kinds: ['capabilities_purged'] })).events as AuditEvent[]).map((e) => e.payload),
      [{ before_ms: 2, purged: 2 }, { before_ms: 1, purged: 1 }],
    );
    const operatorRows = await recent(client, { issuer: t.daemon.ctx.identity.agentId.pubkey, limit: 1000 });
    assert.equal(operatorRows.kind, 'audit_recent');
    assert.deepEqual(operatorRows.events, []);
    const intents = await recent(client, { kinds: ['intent_unrouted', 'daemon_started'] });
    assert.deepEqual(intents.events, []);
    client.close();
  });

  test('after_seq streams forward from a cursor', async () => {
    const newest = ((await recent(operator, { limit: 1 })).events as AuditEvent[])[0]!;
    await operator.request({ kind: 'submit_intent', text: 'one' });
    await operator.request({ kind: 'submit_intent', text: 'two' });
    const forward = (await recent(operator, { after_seq: newest.seq, kinds: ['intent_unrouted'] })).events as AuditEvent[];
    assert.equal(forward.length, 2);
    assert.ok(forward[0]!.seq < forward[1]!.seq, 'oldest first');
    assert.ok(forward.every((e) => e.seq > newest.seq));
  });

  test('bad parameters are E_BAD_REQUEST and audited', async () => {
    for (const params of [
      { limit: 0 },
      { limit: 1001 },
      { limit: 2.5 },
      { since_ms: -1 },
      { after_seq: -1 },
      { kinds: [''] },
      { kinds: 'intent_unrouted' },
      { issuer: '0OIl' },
      { issuer: '' },
    ]) {
      const before = t.auditKinds().length;
      const reply = await recent(operator, params);
      assert.equal(reply.kind, 'error', JSON.stringify(params));
      assert.equal(reply.code, 'E_BAD_REQUEST', JSON.stringify(params));
      const kinds = t.auditKinds();
      assert.equal(kinds.at(-1), 'request_rejected');
      assert.ok(kinds.length > before);
    }
  });
});
