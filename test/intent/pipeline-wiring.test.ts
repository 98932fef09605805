/**
 * The real daemon's pipeline runs every step: ignore (home rules, then the routed agent's), route,
 * capability, budget (admit, deadline, debit, pause), run, memory, receipt and audit. Each test
 * asserts what a user sees (replies, audit rows in order, receipts, memory records, budget
 * status), so a step left out of the daemon's wiring fails one of them.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { tempDir } from '../helpers/temp-home.js';
import { waitFor } from '../helpers/wait.js';
import { startRuntimeDaemon, type RuntimeDaemon } from './helpers.js';

interface ReceiptView {
  id: string;
  resource: string;
  status: string;
  credits_consumed: number;
  intent_id: string | null;
  memory_record_id: string | null;
  failure_reason: string | null;
}

describe('the daemon wires every pipeline step', () => {
  const { dir, cleanup } = tempDir('covenant-wiring-');
  let t: RuntimeDaemon;
  let dispatched: { intent_id: string; text: string; receipt_id: string };

  /** The audit log's newest seq: rows a request writes come after it. */
  const head = () => (t.daemon.ctx.db.prepare('SELECT coalesce(max(seq), 0) AS seq FROM audit_events').get() as { seq: number }).seq;
  /** The rows after `seq`, in order: `kind` (a capability check with the action it checked). */
  const trail = (seq: number) =>
    (t.daemon.ctx.db.prepare('SELECT kind, payload FROM audit_events WHERE seq > ? ORDER BY seq').all(seq) as Array<{ kind: string; payload: string }>).map(
      (row) => (row.kind === 'capability_check' ? `capability_check ${String((JSON.parse(row.payload) as { required: string }).required)}` : row.kind),
    );
  const receipts = async (filter: Record<string, unknown>) => (await t.ok({ kind: 'receipts_recent', ...filter })).receipts as ReceiptView[];
  const meterBudget = async () => ((await t.ok({ kind: 'budget_status', agent: 'meter' })).budgets as Array<{ balance: number; paused_intents: number }>)[0]!;

  before(async () => {
    t = await startRuntimeDaemon({ FIXTURE_PIDFILE: join(dir, 'pids.txt') });
    mkdirSync(join(dir, 'packages'));
    // 2 credits an hour, its own ignore rule, and a capability its caller must hold.
    const meter = writeFixtureAgent(join(dir, 'packages'), 'meter', {
      creditsPerHour: 2,
      ignoreRules: 'meter-secret.txt\n',
      requiredCapabilities: ['tool.call.echo'],
    });
    await t.install(meter);
  });
  after(async () => {
    await t.stop();
    cleanup();
  });

  it('capability: without the agent\'s required capability the intent is refused, audited, and nothing runs', async () => {
    const seq = head();
    const refused = await t.call({ kind: 'submit_intent', text: 'meter: summarize the notes' });
    assert.equal(refused.kind, 'error');
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    assert.match(String(refused.message), /tool\.call\.echo/);
    assert.deepEqual(trail(seq), ['capability_check intent.submit', 'capability_check tool.call.echo']);
    assert.equal(t.auditPayloads('capability_check').at(-1)!.passed, false);
    assert.deepEqual(await receipts({}), [], 'nothing ran, nothing is charged');
  });

  it('route, capability, budget, run, receipt, memory and audit: a routed intent leaves its whole trail', async () => {
    await t.ok({ kind: 'capabilities_grant', action: 'tool.call.echo' });
    const seq = head();
    const reply = await t.ok({ kind: 'submit_intent', text: 'meter: summarize the notes' });
    // route + run: the keyword picked the agent, and the answer is the agent's.
    assert.equal(reply.status, 'ok');
    assert.equal(reply.agent, 'meter');
    assert.equal(reply.text, 'done: meter: summarize the notes');
    assert.deepEqual(reply.sources, ['fixture']);
    const settlement = reply.settlement as { receipt_id: string; resource: string; status: string; credits_consumed: number; tokens_used: number | null };
    assert.deepEqual({ ...settlement, receipt_id: '' }, { receipt_id: '', resource: 'compute', status: 'ok', credits_consumed: 1, tokens_used: null });
    const intentId = String(reply.intent_id);

    // audit: the capability step's passing check, then the settle row.
    assert.deepEqual(trail(seq), ['capability_check intent.submit', 'capability_check tool.call.echo', 'intent_dispatched']);
    const row = t.auditPayloads('intent_dispatched').at(-1)!;
    assert.equal(row.intent_id, intentId);
    assert.equal(row.routed_by, 'keyword');
    assert.equal(row.receipt_id, settlement.receipt_id);
    assert.equal(row.memory_record_id, intentId);
    assert.equal(row.credits, 1);

    // receipt: one compute receipt pays for the run.
    const paid = await receipts({ intent_id: intentId });
    assert.deepEqual(
      paid.map((r) => [r.id, r.resource, r.status, r.credits_consumed, r.memory_record_id]),
      [[settlement.receipt_id, 'compute', 'ok', 1, intentId]],
    );

    // memory: the answer is a working record of the caller's, with its own memory receipt.
    const [record] = (await t.ok({ kind: 'memory_recent' })).records as Array<{ id: string; tier: string; text: string; receipt_id: string }>;
    assert.deepEqual({ id: record!.id, tier: record!.tier, text: record!.text }, { id: intentId, tier: 'working', text: reply.text });
    assert.equal(record!.receipt_id, row.memory_receipt_id);
    const memoryReceipt = (await receipts({ resource: 'memory' })).find((r) => r.id === record!.receipt_id);
    assert.deepEqual(memoryReceipt && [memoryReceipt.memory_record_id, memoryReceipt.intent_id, memoryReceipt.status], [intentId, null, 'ok']);

    // budget: the run's credit is debited from the agent's bucket (2/h, refilling slowly).
    const budget = await meterBudget();
    assert.ok(budget.balance >= 1 && budget.balance < 1.5, `balance ${budget.balance} after one 1-credit run`);
    dispatched = { intent_id: intentId, text: String(reply.text), receipt_id: settlement.receipt_id };
  });

  it('ignore: the home rules before routing, the routed agent\'s own rules after it; nothing runs or is charged', async () => {
    const receiptsBefore = (await receipts({})).length;
    const balanceBefore = (await meterBudget()).balance;

    let seq = head();
    const home = await t.ok({ kind: 'submit_intent', text: 'meter: read .env please' });
    assert.deepEqual([home.status, home.agent, home.settlement], ['ignored', null, null]);
    assert.equal(home.text, 'ignored by .covenantignore rule: .env');
    assert.deepEqual(trail(seq), ['capability_check intent.submit', 'intent_ignored']);
    assert.deepEqual(t.auditPayloads('intent_ignored').at(-1), { intent_id: home.intent_id, matched_rule: '.env', source: 'home' });

    seq = head();
    const scoped = await t.ok({ kind: 'submit_intent', text: 'meter: open meter-secret.txt' });
    assert.deepEqual([scoped.status, scoped.agent, scoped.settlement], ['ignored', 'meter', null]);
    assert.deepEqual(trail(seq), ['capability_check intent.submit', 'intent_ignored']);
    assert.deepEqual(t.auditPayloads('intent_ignored').at(-1), { intent_id: scoped.intent_id, matched_rule: 'meter-secret.txt', source: 'agent:meter' });

    assert.equal((await receipts({})).length, receiptsBefore);
    assert.ok((await meterBudget()).balance >= balanceBefore, 'no debit');
    const records = (await t.ok({ kind: 'memory_recent' })).records as Array<{ id: string }>;
    assert.deepEqual(records.map((r) => r.id), [dispatched.intent_id], 'no memory');
  });

  it('budget: a run is preempted at the deadline its balance pays for and paused; then the empty budget pauses the next intent', async () => {
    // About 1 credit left: the run may take 1000 ms, and this one would sleep for a minute. The
    // test fires that deadline once the run is under way.
    let seq = head();
    const replied = t.ok({ kind: 'submit_intent', text: 'meter: sleep:60000' });
    assert.ok(await waitFor(() => t.deadlines.armed().length === 1), 'the run started with a deadline');
    assert.deepEqual(t.deadlines.armed(), [1_000]);
    t.deadlines.expire();
    const preempted = await replied;
    assert.equal(preempted.status, 'paused');
    assert.match(String(preempted.text), /preempted after \d+ ms: its budget ran out/);
    assert.deepEqual(trail(seq), ['capability_check intent.submit', 'capability_check tool.call.echo', 'intent_failed', 'budget_preempted']);
    const failed = t.auditPayloads('intent_failed').at(-1)!;
    assert.equal(failed.reason, 'budget_preempted');
    // Stopped by the budget's deadline (the guard), long before the agent's own 30 s timeout.
    assert.ok(Number(failed.wall_ms) < 30_000, `wall_ms ${String(failed.wall_ms)}`);
    const [paid] = await receipts({ intent_id: preempted.intent_id });
    assert.deepEqual(paid && [paid.status, paid.failure_reason], ['failed', 'budget_preempted']);
    assert.ok(paid!.credits_consumed >= 1, 'the preempted run is paid for');

    seq = head();
    const exhausted = await t.call({ kind: 'submit_intent', text: 'meter: one more' });
    assert.equal(exhausted.kind, 'error');
    assert.equal(exhausted.code, 'E_BUDGET_EXHAUSTED');
    assert.match(String(exhausted.message), /is paused, not lost/);
    assert.deepEqual(trail(seq), ['capability_check intent.submit', 'capability_check tool.call.echo', 'budget_exhausted']);
    assert.equal((await meterBudget()).paused_intents, 2);
  });
});
