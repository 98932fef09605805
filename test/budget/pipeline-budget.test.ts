import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AgentId } from '../../src/identity/index.js';
import { pidAlive, waitFor } from '../helpers/wait.js';
import { startBudgetDaemon, writeFixtureAgent, type BudgetDaemon } from './daemon-helpers.js';
import { fixtureAgentPids } from './fixture-agent.js';

interface CheckpointRow {
  intent_id: string;
  agent_id: string;
  caller_pubkey: string;
  text: string;
  reason: string;
  requested: number;
  remaining: number;
  refill_eta_ms: number;
  claimed_at: number | null;
}

describe('budgets through the dispatch pipeline (in-process daemon)', () => {
  let t: BudgetDaemon;
  let operator: AgentId;

  before(async () => {
    t = await startBudgetDaemon();
    operator = t.daemon.ctx.identity.agentId;
    // 2 credits per hour: two quick intents, then the bucket is empty for half an hour.
    await t.ok({ kind: 'agents_install', dir: writeFixtureAgent(t.packages, 'meter', { creditsPerHour: 2 }) });
    await t.ok({ kind: 'agents_install', dir: writeFixtureAgent(t.packages, 'slowpoke', { creditsPerHour: 2 }) });
    await t.ok({ kind: 'agents_install', dir: writeFixtureAgent(t.packages, 'free', { creditsPerHour: 0 }) });
  });
  after(async () => {
    await t.stop();
  });

  const checkpoints = () => t.daemon.ctx.db.prepare('SELECT * FROM budget_checkpoints ORDER BY created_at').all() as CheckpointRow[];
  const debits = (intentId: string) =>
    t.count('budget_ledger', "kind = 'debit' AND intent_id = ?", intentId);

  it('buckets are configured from the manifest at install; unlimited agents have none', async () => {
    const status = await t.ok({ kind: 'budget_status' });
    assert.deepEqual(
      (status.budgets as Array<Record<string, unknown>>).map((b) => [b.agent, b.credits_per_hour, b.balance, b.refill_eta_ms, b.paused_intents]),
      [
        ['meter', 2, 2, 0, 0],
        ['slowpoke', 2, 2, 0, 0],
      ],
    );
    assert.deepEqual((await t.ok({ kind: 'budget_status', agent: 'free' })).budgets, []);
    assert.deepEqual(
      t.auditPayloads('budget_configured').map((r) => r.agent),
      ['meter', 'slowpoke'],
    );
  });

  let pausedId = '';

  it('an empty bucket pauses the intent: checkpoint, budget_exhausted, E_BUDGET_EXHAUSTED naming agent and ETA', async () => {
    for (const text of ['meter one', 'meter two']) {
      const reply = await t.ok({ kind: 'submit_intent', text });
      assert.equal(reply.status, 'ok');
      assert.equal((reply.settlement as { credits_consumed: number }).credits_consumed, 1);
    }
    const receiptsBefore = t.count('receipts');
    const reply = await t.call({ kind: 'submit_intent', text: 'meter three please' });
    assert.equal(reply.kind, 'error');
    assert.equal(reply.code, 'E_BUDGET_EXHAUSTED');
    assert.match(String(reply.message), /agent meter/);
    assert.match(String(reply.message), /refill_eta_ms \d+/);
    assert.match(String(reply.message), /covenant intents resume [0-9a-f-]{36}/);

    const [cp] = checkpoints();
    assert.ok(cp);
    pausedId = cp.intent_id;
    assert.equal(cp.agent_id, 'meter');
    assert.equal(cp.caller_pubkey, operator.pubkey);
    assert.equal(cp.text, 'meter three please', 'the checkpoint keeps the text needed to resume');
    assert.equal(cp.reason, 'exhausted');
    assert.equal(cp.claimed_at, null);
    assert.ok(String(reply.message).includes(pausedId));

    const [row] = t.auditPayloads('budget_exhausted');
    assert.deepEqual(Object.keys(row!).sort(), ['agent', 'intent_id', 'refill_eta_ms', 'remaining', 'requested']);
    assert.equal(row!.intent_id, pausedId);
    assert.equal(row!.agent, 'meter');
    assert.equal(row!.requested, 1);
    assert.ok((row!.refill_eta_ms as number) > 29 * 60_000 && (row!.refill_eta_ms as number) <= 30 * 60_000);
    assert.ok(!JSON.stringify(t.auditPayloads('budget_exhausted')).includes('three please'), 'the text is never audited');
    assert.equal(t.count('receipts'), receiptsBefore, 'a paused intent has no receipt');
    assert.equal(debits(pausedId), 0);
    assert.equal(t.auditPayloads('request_rejected').filter((r) => r.code === 'E_BUDGET_EXHAUSTED').length, 0, 'one audit row, not two');
    const status = await t.ok({ kind: 'budget_status', agent: 'meter' });
    assert.equal((status.budgets as Array<{ paused_intents: number }>)[0]!.paused_intents, 1);
  });

  it('resume while the bucket is still empty answers ok:false with the ETA and leaves the checkpoint unclaimed', async () => {
    const reply = await t.ok({ kind: 'intents_resume', intent_id: 'latest' });
    assert.equal(reply.ok, false);
    assert.equal(reply.mode, 'still_paused');
    assert.equal(reply.intent_id, pausedId);
    assert.equal(reply.status, 'paused');
    assert.ok((reply.refill_eta_ms as number) > 0);
    assert.equal(checkpoints()[0]!.claimed_at, null);
    assert.equal(t.auditPayloads('intent_resume_deferred').length, 1);
    assert.equal(debits(pausedId), 0);
  });

  it('top-up needs budget.topup; then resume re-runs the intent once, with exactly one debit', async () => {
    const refused = await t.call({ kind: 'budget_topup', agent: 'meter', credits: 3 });
    assert.equal(refused.code, 'E_CAPABILITY_MISSING');
    await t.ok({ kind: 'capabilities_grant', action: 'budget.topup' });
    const topped = await t.ok({ kind: 'budget_topup', agent: 'meter', credits: 3 });
    assert.equal(topped.kind, 'budget_topped_up');
    assert.ok(Math.abs((topped.balance as number) - 3) < 0.01);
    assert.equal(t.auditPayloads('budget_topped_up').length, 1);

    // Two sessions race to resume: exactly one claim wins.
    const other = await t.session();
    const [a, b] = await Promise.all([
      t.call({ kind: 'intents_resume', intent_id: pausedId }),
      t.call({ kind: 'intents_resume', intent_id: pausedId }, other),
    ]);
    const winners = [a, b].filter((r) => r.kind === 'intents_resume');
    const losers = [a, b].filter((r) => r.kind === 'error');
    assert.equal(winners.length, 1, JSON.stringify([a, b]));
    assert.equal(losers[0]!.code, 'E_CONFLICT');
    const resumed = winners[0]!;
    assert.equal(resumed.ok, true);
    assert.equal(resumed.mode, 'resumed');
    assert.equal(resumed.intent_id, pausedId);
    assert.equal(resumed.status, 'ok');
    assert.equal(resumed.text, 'done: meter three please');
    assert.deepEqual(resumed.sources, ['fixture']);
    assert.equal((resumed.settlement as { credits_consumed: number }).credits_consumed, 1);

    assert.notEqual(checkpoints()[0]!.claimed_at, null);
    assert.equal(debits(pausedId), 1, 'exactly one debit for the resumed run');
    assert.equal(t.count('receipts', "resource = 'compute' AND intent_id = ?", pausedId), 1);
    assert.equal(t.count('memory_records', 'id = ?', pausedId), 1);
    assert.equal(t.auditPayloads('intent_resumed').length, 1);

    const again = await t.call({ kind: 'intents_resume', intent_id: pausedId });
    assert.equal(again.code, 'E_CONFLICT', 'a checkpoint is claimed once');
    const latest = await t.call({ kind: 'intents_resume', intent_id: 'latest' });
    assert.equal(latest.code, 'E_NOT_FOUND');
    assert.equal(debits(pausedId), 1);
  });

  it("a peer cannot resume someone else's paused intent, nor set budgets", async () => {
    // Empty meter again and pause one more of the operator's intents.
    t.daemon.ctx.budget.debit('meter', 10, null);
    const paused = await t.call({ kind: 'submit_intent', text: 'meter four' });
    assert.equal(paused.code, 'E_BUDGET_EXHAUSTED');
    const id = checkpoints().at(-1)!.intent_id;

    const peer = await t.ok({ kind: 'peers_add', name: 'mallory' });
    const display = (peer.agent_id as AgentId).display;
    await t.ok({ kind: 'capabilities_grant', action: 'intent.submit', to: display });
    const mallory = await t.session(String(peer.token_b58));
    const stolen = await t.call({ kind: 'intents_resume', intent_id: id }, mallory);
    assert.equal(stolen.code, 'E_NOT_FOUND');
    const latest = await t.call({ kind: 'intents_resume', intent_id: 'latest' }, mallory);
    assert.equal(latest.code, 'E_NOT_FOUND');
    const set = await t.call({ kind: 'budget_set', agent: 'meter', credits_per_hour: 1000 }, mallory);
    assert.equal(set.code, 'E_FORBIDDEN');
    assert.equal(checkpoints().at(-1)!.claimed_at, null);

    const ghost = await t.call({ kind: 'budget_set', agent: 'ghost', credits_per_hour: 5 });
    assert.equal(ghost.code, 'E_NOT_FOUND', 'no budget for an agent that is not installed');

    // The operator raises the rate: admitted again once the new rate refills (set keeps the balance).
    const setOk = await t.ok({ kind: 'budget_set', agent: 'meter', credits_per_hour: 7200 });
    assert.deepEqual(setOk, { kind: 'budget_set', agent: 'meter', credits_per_hour: 7200, previous: 2 });
    assert.deepEqual(t.auditPayloads('budget_set').at(-1), { agent: 'meter', credits_per_hour: 7200, previous: 2 });
  });

  it('a run that outlives its budget is preempted: killed, charged, checkpointed, budget_preempted audited', async () => {
    // The agent would sleep 120 s; its 2 credits pay for a 2000 ms deadline, which the test
    // fires once the run is under way. The run is measured on the injected clock: 2500 ms, so
    // 3 credits (1 per started second).
    t.runClock.runMs = 2_500;
    const agentPids = () => fixtureAgentPids(t.pidfile);
    const earlier = agentPids().length;
    const replied = t.ok({ kind: 'submit_intent', text: 'slowpoke sleep:120000' });
    assert.ok(await waitFor(() => agentPids().length === earlier + 1), 'the agent read the intent');
    assert.deepEqual(t.deadlines.armed(), [2_000]);
    t.deadlines.expire();
    const reply = await replied;
    assert.equal(reply.status, 'paused');
    assert.match(String(reply.text), /preempted/);
    const settlement = reply.settlement as { status: string; credits_consumed: number; receipt_id: string };
    assert.equal(settlement.status, 'failed');
    assert.equal(settlement.credits_consumed, 3, 'charged the measured 2500 ms');

    const pid = agentPids()[earlier]!;
    assert.equal(pidAlive(pid), false, 'the agent process is gone');

    const cp = checkpoints().find((c) => c.agent_id === 'slowpoke');
    assert.ok(cp);
    assert.equal(cp.reason, 'preempted');
    assert.equal(cp.text, 'slowpoke sleep:120000');
    assert.equal(cp.claimed_at, null);
    const [row] = t.auditPayloads('budget_preempted');
    assert.equal(row!.intent_id, cp.intent_id);
    assert.equal(row!.agent, 'slowpoke');
    assert.equal(row!.requested, settlement.credits_consumed, 'the preempted run asks for what it was charged');
    assert.ok((row!.remaining as number) <= 0, 'balance went negative by the final run only');
    assert.ok((row!.remaining as number) > -1.01);
    assert.equal(debits(cp.intent_id), 1);
    const [failed] = t.auditPayloads('intent_failed').filter((r) => r.intent_id === cp.intent_id);
    assert.equal(failed!.reason, 'budget_preempted');
  });
});
