/**
 * What the console's views read (SPEC 19), on a real in-process daemon and gateway: the
 * `intents_list` kind, an intent's timeline stream, the audit stream's filters and the
 * coverage matrix. The browser computes none of it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { AuditEvent } from '../../src/audit/index.js';
import { MS_PER_CREDIT } from '../../src/settlement/index.js';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { marked } from '../helpers/audit-probe.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { SteppedRunClock } from '../helpers/run-clock.js';
import { tempDir } from '../helpers/temp-home.js';
import { grantAction, registerPeer, SseReader, startGatewayFixture, type GatewayFixture } from './helpers.js';

interface IntentSummary {
  intent_id: string;
  status: string;
  agent: string | null;
  caller: { pubkey: string };
  last_ms: number;
  credits: number;
  reason: string | null;
  refill_eta_ms: number | null;
}

let f: GatewayFixture;
let packages: { dir: string; cleanup: () => void };
const ids = { echoed: '', ignored: '', dispatched: '', paused: '' };

/**
 * Credits a `meter` run is charged, whatever its real duration (SteppedRunClock), and what its
 * bucket holds before the first job: that run spends all of it, so the next one is paused. (No
 * run here is preempted: the fixture's budget deadlines fire only when a test fires them.)
 */
const RUN_CREDITS = 60;

before(async () => {
  const runClock = new SteppedRunClock();
  runClock.runMs = RUN_CREDITS * MS_PER_CREDIT;
  f = await startGatewayFixture({ ratePerSecond: 1_000_000, burst: 1_000_000 }, { agentRuntime: { runClock: runClock.now } });
  packages = tempDir('covenant-console-agents-');
  await f.t.ok({ kind: 'agents_install', dir: writeFixtureAgent(packages.dir, 'meter', { creditsPerHour: 1 }) });
  await f.t.ok({ kind: 'capabilities_grant', action: 'budget.topup' });
  await f.t.ok({ kind: 'budget_topup', agent: 'meter', credits: RUN_CREDITS - 1 });
  ids.echoed = String((await f.t.ok({ kind: 'submit_intent', text: 'hello console' })).intent_id);
  ids.ignored = String((await f.t.ok({ kind: 'submit_intent', text: 'cat ~/.ssh/id_ed25519' })).intent_id);
  ids.dispatched = String((await f.t.ok({ kind: 'submit_intent', text: 'first job', agent: 'meter' })).intent_id);
  const paused = await f.t.call({ kind: 'submit_intent', text: 'second job', agent: 'meter' });
  assert.equal(paused.code, 'E_BUDGET_EXHAUSTED', JSON.stringify(paused));
  ids.paused = (f.ctx.db.prepare('SELECT intent_id FROM budget_checkpoints WHERE claimed_at IS NULL').get() as { intent_id: string }).intent_id;
});
after(async () => {
  await f.stop();
  packages.cleanup();
});

async function intents(query = '', token?: string): Promise<IntentSummary[]> {
  const response = await fetch(`${f.url}/intents/list${query}`, { headers: f.bearer(token) });
  const body = (await response.json()) as { kind: string; intents: IntentSummary[] };
  assert.equal(response.status, 200, JSON.stringify(body));
  assert.equal(body.kind, 'intents_list');
  return body.intents;
}

test('intents_list: each intent once, newest first, with the status its newest row gives it', async () => {
  const list = await intents();
  assert.deepEqual(list.map((i) => i.intent_id), [ids.paused, ids.dispatched, ids.ignored, ids.echoed]);
  const [paused, dispatched, ignored, echoed] = list;
  assert.deepEqual([paused!.status, dispatched!.status, ignored!.status, echoed!.status], ['paused', 'ok', 'ignored', 'unrouted']);
  assert.equal(echoed!.agent, null);
  assert.equal(dispatched!.agent, 'meter');
  assert.ok(dispatched!.credits >= 1);
  assert.equal(paused!.reason, 'budget_exhausted');
  assert.ok(Number(paused!.refill_eta_ms) > 0, 'the refill ETA as of now');
  assert.equal(dispatched!.refill_eta_ms, null);
  assert.equal(echoed!.caller.pubkey, f.ctx.identity.agentId.pubkey);
});

test('intents_list: the status filter applies before the limit', async () => {
  assert.deepEqual((await intents('?status=paused')).map((i) => i.intent_id), [ids.paused]);
  assert.deepEqual((await intents('?status=ignored')).map((i) => i.intent_id), [ids.ignored]);
  assert.deepEqual((await intents('?status=ok&limit=1')).map((i) => i.intent_id), [ids.dispatched]);
  assert.deepEqual(await intents('?status=failed'), []);
  const bad = await fetch(`${f.url}/intents/list?status=stuck`, { headers: f.bearer() });
  assert.equal(bad.status, 400);
});

test('intents_list: a caller (even without audit.read) sees only its own intents', async () => {
  const peer = registerPeer(f.ctx, 'lister');
  grantAction(f.ctx, peer.agentId, 'intent.submit');
  assert.deepEqual(await intents('', peer.token), []);
  const own = await f.t.ok({ kind: 'submit_intent', text: 'my own words' }, peer.token);
  assert.deepEqual((await intents('', peer.token)).map((i) => i.intent_id), [own.intent_id]);
});

async function openStream(path: string): Promise<SseReader> {
  const response = await fetch(`${f.url}${path}`, { headers: f.bearer() });
  assert.equal(response.status, 200, path);
  const sse = new SseReader(response);
  assert.ok(await sse.until((text) => text.includes(': connected')));
  return sse;
}

const kindsOf = (sse: SseReader) => sse.events().map((event) => (event.data as AuditEvent).kind);

test('GET /intents/:id/events replays the intent rows, then streams new ones as they are written', async () => {
  const sse = await openStream(`/intents/${ids.paused}/events`);
  assert.ok(await sse.until((text) => text.includes('budget_exhausted')), sse.text);
  for (const event of sse.events()) assert.equal((event.data as AuditEvent).payload.intent_id, ids.paused);
  await f.t.ok({ kind: 'budget_topup', agent: 'meter', credits: RUN_CREDITS });
  const resumed = await f.t.ok({ kind: 'intents_resume', intent_id: ids.paused });
  assert.equal(resumed.mode, 'resumed');
  assert.ok(await sse.until((text) => text.includes('intent_dispatched')), sse.text);
  assert.deepEqual(kindsOf(sse), ['budget_exhausted', 'intent_resumed', 'intent_dispatched']);
  await sse.cancel();
  assert.equal((await intents('?status=ok&limit=1'))[0]?.intent_id, ids.paused, 'listed as ok now');
});

test('GET /intents/:id/events refuses an id that is not a UUID (400, audited)', async () => {
  const response = await fetch(`${f.url}/intents/nope/events`, { headers: f.bearer() });
  assert.equal(response.status, 400);
  assert.equal(((await response.json()) as { code: string }).code, 'E_BAD_REQUEST');
});

test('GET /audit/stream filters by kinds and issuer on the daemon', async () => {
  const other = registerPeer(f.ctx, 'other-issuer');
  const byKind = await openStream('/audit/stream?kinds=budget_topped_up');
  const byIssuer = await openStream(`/audit/stream?issuer=${other.agentId.pubkey.slice(0, 10)}`);
  f.ctx.audit.append(f.ctx.identity.agentId, { kind: 'peers_purged', payload: { before_ms: 1, purged: 0 } });
  f.ctx.audit.append(other.agentId, marked('from_other'));
  f.ctx.audit.append(f.ctx.identity.agentId, marked('from_operator'));
  assert.ok(await byKind.until((text) => text.includes('from_operator')), byKind.text);
  assert.deepEqual(kindsOf(byKind), ['budget_topped_up', 'budget_topped_up']);
  assert.ok(await byIssuer.until((text) => text.includes('from_other')), byIssuer.text);
  assert.ok(!byIssuer.text.includes('from_operator') && !byIssuer.text.includes('peers_purged'));
  await byKind.cancel();
  await byIssuer.cancel();
  const bad = await fetch(`${f.url}/audit/stream?issuer=0OIl`, { headers: f.bearer() });
  assert.equal(bad.status, 400);
});

test('GET /coverage answers the package live-coverage.json, the console test listed under http-gateway', async () => {
  const response = await fetch(`${f.url}/coverage`, { headers: f.bearer() });
  const body = (await response.json()) as { kind: string; version: number; surfaces: Array<{ id: string; liveTests: string[] }> };
  assert.equal(body.kind, 'coverage_matrix');
  const file = JSON.parse(readFileSync(`${REPO_ROOT}/live-coverage.json`, 'utf8')) as { version: number; surfaces: Array<{ id: string }> };
  assert.equal(body.version, file.version);
  assert.deepEqual(body.surfaces.map((s) => s.id), file.surfaces.map((s) => s.id));
  assert.ok(body.surfaces.find((s) => s.id === 'http-gateway')?.liveTests.includes('test/live/live_console.test.ts'));
});
