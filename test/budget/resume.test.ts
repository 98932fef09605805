import assert from 'node:assert/strict';
import { test } from 'node:test';
import { listIntents } from '../../src/audit/index.js';
import { CovenantError } from '../../src/core/index.js';
import type { ResumeSubmit } from '../../src/budget/index.js';
import { budgetHarness, type BudgetHarness } from './helpers.js';

const ID = '6f1c1f3e-7d2a-4c8e-9a55-2f0b7c1d9e42';

/** A stand-in for the pipeline: admit, (pause on refusal), run for `wallMs`, debit. */
function fakePipeline(h: BudgetHarness, wallMs = 400): { submit: ResumeSubmit; calls: number } {
  const state = {
    calls: 0,
    submit: (async (request) => {
      state.calls += 1;
      const intent = { intentId: request.intentId, agent: request.agent, caller: request.caller, text: request.text };
      const admission = h.budget.admit(request.agent, request.intentId);
      if (!admission.ok) throw h.budget.pauseExhausted(intent, admission);
      h.clock.advance(wallMs);
      h.budget.debit(request.agent, 1, request.intentId);
      return { intent_id: request.intentId, status: 'ok', agent: request.agent, text: `ran: ${request.text}`, sources: [], settlement: null };
    }) as ResumeSubmit,
  };
  return state;
}

function pause(h: BudgetHarness, intentId = ID) {
  const verdict = h.budget.admit('meter', intentId);
  assert.equal(verdict.ok, false);
  if (verdict.ok) throw new Error('unreachable');
  return h.budget.pauseExhausted({ intentId, agent: 'meter', caller: h.alice, text: 'summarize the report' }, verdict);
}

/** A harness whose intent ID was paused on an empty budget that has refilled since. */
async function pausedThenRefilled(body: (h: BudgetHarness) => Promise<void>): Promise<void> {
  const h = budgetHarness();
  try {
    h.budget.configureFromManifest('meter', 1);
    h.budget.debit('meter', 1, 'first');
    pause(h);
    h.clock.advance(60 * 60_000);
    await body(h);
  } finally {
    h.close();
  }
}

test('exhaustion: checkpoint + budget_exhausted + an audited E_BUDGET_EXHAUSTED', () => {
  const h = budgetHarness();
  try {
    h.budget.configureFromManifest('meter', 1);
    h.budget.debit('meter', 1, 'first');
    const error = pause(h);
    assert.ok(error instanceof CovenantError);
    assert.equal(error.code, 'E_BUDGET_EXHAUSTED');
    assert.equal(error.audited, true);
    assert.match(error.message, /agent meter/);
    assert.match(error.message, /refills enough in 1h \(refill_eta_ms 3600000\)/);
    const cp = h.budget.store.checkpoint(ID);
    assert.deepEqual(
      cp && { ...cp, created_at: 0 },
      {
        intent_id: ID,
        agent_id: 'meter',
        caller_display: 'alice@laptop',
        caller_pubkey: h.alice.pubkey,
        text: 'summarize the report',
        reason: 'exhausted',
        requested: 1,
        remaining: 0,
        refill_eta_ms: 3_600_000,
        created_at: 0,
        claimed_at: null,
      },
    );
    assert.deepEqual(h.auditRows('budget_exhausted'), [
      { issuer_pubkey: h.alice.pubkey, payload: { intent_id: ID, agent: 'meter', requested: 1, remaining: 0, refill_eta_ms: 3_600_000 } },
    ]);
  } finally {
    h.close();
  }
});

test('resume: still empty → ok:false, unclaimed; after refill → one run, one debit, one claim', async () => {
  const h = budgetHarness();
  try {
    h.budget.configureFromManifest('meter', 1);
    h.budget.debit('meter', 1, 'first');
    pause(h);
    const pipeline = fakePipeline(h);

    h.clock.advance(30 * 60_000);
    const early = await h.budget.resume(h.alice, 'latest', pipeline.submit);
    assert.equal(early.ok, false);
    assert.equal(early.mode, 'still_paused');
    assert.equal(early.refill_eta_ms, 30 * 60_000);
    assert.equal(pipeline.calls, 0, 'nothing runs while the budget is empty');
    assert.equal(h.budget.store.checkpoint(ID)!.claimed_at, null);

    h.clock.advance(30 * 60_000);
    const resumed = await h.budget.resume(h.alice, ID, pipeline.submit);
    assert.equal(resumed.ok, true);
    assert.equal(resumed.mode, 'resumed');
    assert.equal(resumed.text, 'ran: summarize the report');
    assert.equal(pipeline.calls, 1);
    assert.equal(h.ledger(ID).length, 1, 'exactly one debit');
    assert.notEqual(h.budget.store.checkpoint(ID)!.claimed_at, null);

    await assert.rejects(h.budget.resume(h.alice, ID, pipeline.submit), { code: 'E_CONFLICT' });
    await assert.rejects(h.budget.resume(h.alice, 'latest', pipeline.submit), { code: 'E_NOT_FOUND' });
    await assert.rejects(h.budget.resume(h.operator, ID, pipeline.submit), { code: 'E_NOT_FOUND' }, 'only the owner sees it');
    assert.equal(pipeline.calls, 1);
    assert.equal(h.ledger(ID).length, 1);
  } finally {
    h.close();
  }
});

test('a resumed run that is paused again re-opens its checkpoint', () =>
  pausedThenRefilled(async (h) => {
    // Between the resume check and the run, another run takes the credit.
    const racing: ResumeSubmit = async (request) => {
      h.budget.debit('meter', 1, 'someone-else');
      return fakePipeline(h).submit(request);
    };
    const result = await h.budget.resume(h.alice, ID, racing);
    assert.equal(result.ok, false);
    assert.equal(result.mode, 'still_paused');
    assert.equal(h.budget.store.checkpoint(ID)!.claimed_at, null, 'paused again: it can be resumed later');
    assert.equal(h.auditRows('budget_exhausted').length, 2);
    assert.equal(h.ledger(ID).length, 0);
  }));

test('a resumed run refused before it began ends the intent failed (intent_interrupted run_refused), not running', () =>
  pausedThenRefilled(async (h) => {
    const uninstalled: ResumeSubmit = async () => {
      throw new CovenantError('E_NOT_FOUND', 'no installed agent meter');
    };
    await assert.rejects(h.budget.resume(h.alice, ID, uninstalled), { code: 'E_NOT_FOUND' });
    assert.deepEqual(h.auditRows('intent_interrupted'), [
      { issuer_pubkey: h.alice.pubkey, payload: { intent_id: ID, agent: 'meter', reason: 'run_refused', code: 'E_NOT_FOUND' } },
    ]);
    const [intent] = listIntents(h.db, { owner: h.alice.pubkey, limit: 10 });
    assert.equal(intent?.intent_id, ID);
    assert.equal(intent?.status, 'failed');
    assert.match(intent?.message ?? '', /refused before it began \(E_NOT_FOUND; nothing was charged\)/);
    assert.equal(h.ledger(ID).length, 0);
    await assert.rejects(h.budget.resume(h.alice, ID, uninstalled), { code: 'E_CONFLICT' }, 'resumed once');
    assert.equal(h.auditRows('intent_interrupted').length, 1);
  }));

test('a resumed run that ended with its own outcome row before throwing gets no second end', () =>
  pausedThenRefilled(async (h) => {
    const ignoredThenThrows: ResumeSubmit = async (request) => {
      h.audit.append(request.caller, { kind: 'intent_ignored', payload: { intent_id: request.intentId, matched_rule: 'secret*', source: 'text' } });
      throw new CovenantError('E_INTERNAL', 'failed after its outcome row');
    };
    await assert.rejects(h.budget.resume(h.alice, ID, ignoredThenThrows), { code: 'E_INTERNAL' });
    assert.deepEqual(h.auditRows('intent_interrupted'), []);
    assert.equal(listIntents(h.db, { owner: h.alice.pubkey, limit: 10 })[0]?.status, 'ignored');
  }));

test('the claim is atomic in SQL: exactly one of many claims wins', () => {
  const h = budgetHarness();
  try {
    h.budget.configureFromManifest('meter', 1);
    h.budget.debit('meter', 1, 'first');
    pause(h);
    const wins = Array.from({ length: 5 }, () => h.budget.store.claim(ID, h.clock.now())).filter(Boolean);
    assert.equal(wins.length, 1);
  } finally {
    h.close();
  }
});

test('a run guard aborts at the deadline the balance pays for; unlimited agents get none', async () => {
  const h = budgetHarness();
  try {
    h.budget.configureFromManifest('meter', 3600);
    h.budget.debit('meter', 3600 - 0.05, 'drain'); // 0.05 left: below one credit
    assert.equal(h.budget.admit('meter', 'x').ok, false);
    h.budget.topup(h.operator, 'meter', 1);
    assert.equal(h.budget.admit('meter', 'x').ok, true);
    const guard = h.budget.guard('meter', 'x');
    assert.equal(guard.deadlineMs, 1000);
    assert.equal(guard.preempted, false);
    const keepAlive = setTimeout(() => undefined, 5000); // the guard's timer is unref'd (it never holds the daemon up)
    await new Promise((resolve) => guard.signal.addEventListener('abort', resolve, { once: true }));
    clearTimeout(keepAlive);
    assert.equal(guard.preempted, true);
    guard.dispose();
    const free = h.budget.guard('other', 'y');
    assert.equal(free.deadlineMs, null);
    free.dispose();
    assert.equal(free.signal.aborted, false);

    const error = h.budget.preempted({ intentId: 'x', agent: 'meter', caller: h.alice, text: 'long job' }, { wallMs: 1300, credits: 2 });
    assert.equal(error.code, 'E_BUDGET_EXHAUSTED');
    assert.equal(h.budget.store.checkpoint('x')!.reason, 'preempted');
    assert.deepEqual(Object.keys(h.auditRows('budget_preempted')[0]!.payload).sort(), ['agent', 'intent_id', 'refill_eta_ms', 'remaining', 'requested', 'wall_ms']);
  } finally {
    h.close();
  }
});
