import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deadlineForBalance, msUntil, refill, MS_PER_HOUR } from '../../src/budget/index.js';
import { computeCredits } from '../../src/settlement/index.js';
import { budgetHarness } from './helpers.js';

test('refill is continuous at capacity per hour and stops at capacity', () => {
  const t0 = 1_000_000;
  const empty = { creditsPerHour: 60, balance: 0, updatedAt: t0 };
  assert.equal(refill(empty, t0 + 60_000).balance, 1, '60/h = 1 credit a minute');
  assert.equal(refill(empty, t0 + 30_000).balance, 0.5);
  assert.equal(refill(empty, t0 + MS_PER_HOUR).balance, 60);
  assert.equal(refill(empty, t0 + 10 * MS_PER_HOUR).balance, 60, 'never above capacity');
  assert.equal(refill({ ...empty, balance: -2 }, t0 + 120_000).balance, 0, 'an overshoot is paid back first');
  assert.equal(refill({ ...empty, balance: 75 }, t0 + 60_000).balance, 75, 'a topped-up balance above capacity is kept');
  assert.equal(refill(empty, t0 - 5000).balance, 0, 'a clock going backwards refills nothing');
});

test('ETA to the next credit and to a full bucket', () => {
  const b = { creditsPerHour: 60, balance: 0.25, updatedAt: 0 };
  assert.equal(msUntil(b, 1), 45_000);
  assert.equal(msUntil(b, 60), Math.ceil((59.75 * MS_PER_HOUR) / 60));
  assert.equal(msUntil({ ...b, balance: 3 }, 1), 0);
  assert.equal(msUntil({ creditsPerHour: 1, balance: -1, updatedAt: 0 }, 1), 2 * MS_PER_HOUR);
});

test('credit pricing: 1 per started 1000 ms of wall time, minimum 1', () => {
  assert.equal(computeCredits(0), 1);
  assert.equal(computeCredits(1), 1);
  assert.equal(computeCredits(1000), 1);
  assert.equal(computeCredits(1001), 2);
  assert.equal(computeCredits(2999), 3);
  assert.equal(deadlineForBalance(3.7), 3000);
  assert.equal(deadlineForBalance(1), 1000);
  assert.equal(deadlineForBalance(0.2), 1000, 'an admitted run gets at least one credit of wall time');
});

test('a bucket starts full, debits, refills with the injected clock, and admits at 1 credit', () => {
  const h = budgetHarness();
  try {
    assert.equal(h.budget.configureFromManifest('research', 2), 'created');
    assert.deepEqual(h.budget.status().map((b) => [b.agent, b.balance, b.refill_eta_ms]), [['research', 2, 0]]);
    assert.equal(h.budget.admit('research', 'i1').ok, true);
    h.budget.debit('research', 2, 'i1');
    const refused = h.budget.admit('research', 'i2');
    assert.equal(refused.ok, false);
    if (!refused.ok) {
      assert.equal(refused.remaining, 0);
      assert.equal(refused.requested, 1);
      assert.equal(refused.refill_eta_ms, 30 * 60_000, '2/h: half an hour to 1 credit');
    }
    h.clock.advance(30 * 60_000 - 1);
    assert.equal(h.budget.admit('research', 'i3').ok, false);
    h.clock.advance(1);
    assert.equal(h.budget.admit('research', 'i4').ok, true);
    assert.equal(h.budget.admit('research', 'i5').ok, false, 'the credit is reserved for the admitted run');
    h.budget.release('i4');
    assert.equal(h.budget.admit('research', 'i5').ok, true);
    assert.deepEqual(h.ledger().map((r) => [r.kind, r.credits, r.balance_after]), [['debit', 2, 0]]);
    assert.equal(h.auditRows('budget_configured').length, 1);
  } finally {
    h.close();
  }
});

test('unlimited agents have no bucket; manifest vs operator configuration', () => {
  const h = budgetHarness();
  try {
    assert.equal(h.budget.configureFromManifest('hello', 0), 'unchanged');
    assert.deepEqual(h.budget.admit('hello', 'x'), { ok: true, unlimited: true, remaining: null });
    assert.equal(h.budget.runDeadlineMs('hello'), null);
    assert.equal(h.budget.debit('hello', 5, 'x'), null);
    assert.deepEqual(h.budget.status(), []);

    h.budget.configureFromManifest('research', 10);
    assert.equal(h.budget.configureFromManifest('research', 10), 'unchanged');
    h.budget.debit('research', 4, 'a');
    assert.equal(h.budget.runDeadlineMs('research'), 6000);
    h.budget.set(h.operator, 'research', 3);
    assert.equal(h.budget.status('research')[0]!.balance, 3, 'lowering clamps the balance to the new capacity');
    assert.equal(h.budget.configureFromManifest('research', 100), 'operator_override', 'the operator setting wins over the manifest');
    assert.equal(h.budget.status('research')[0]!.credits_per_hour, 3);
    h.budget.set(h.operator, 'research', 0);
    assert.deepEqual(h.budget.status(), []);
    assert.equal(h.budget.admit('research', 'y').ok, true);
    assert.deepEqual(
      h.auditRows('budget_set').map((r) => r.payload),
      [
        { agent: 'research', credits_per_hour: 3, previous: 10 },
        { agent: 'research', credits_per_hour: 0, previous: 3 },
      ],
    );
    assert.throws(() => h.budget.topup(h.operator, 'research', 5), { code: 'E_NOT_FOUND' });
  } finally {
    h.close();
  }
});

test('a top-up adds credits now, may exceed capacity, and is audited', () => {
  const h = budgetHarness();
  try {
    h.budget.configureFromManifest('research', 1);
    h.budget.debit('research', 3, 'run');
    assert.equal(h.budget.status()[0]!.balance, -2);
    assert.deepEqual(h.budget.topup(h.operator, 'research', 5), { agent: 'research', balance: 3 });
    assert.equal(h.budget.runDeadlineMs('research'), 3000);
    assert.deepEqual(h.auditRows('budget_topped_up').map((r) => r.payload), [{ agent: 'research', credits: 5, balance: 3 }]);
    h.clock.advance(MS_PER_HOUR);
    assert.equal(h.budget.status()[0]!.balance, 3, 'refill does not pull a topped-up balance down');
  } finally {
    h.close();
  }
});
