import assert from 'node:assert/strict';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFixtureAgent } from '../budget/fixture-agent.js';
import { liveHome, liveTest, type LiveHome } from './harness.js';
import { auditPayloads, exhaustByPreemption, query } from './helpers.js';

function count(home: string, table: string, where = '1 = 1', ...args: unknown[]): number {
  return query<{ n: number }>(home, `SELECT count(*) AS n FROM ${table} WHERE ${where}`, ...args)[0]!.n;
}

/** Writes a fixture agent package next to the home and installs it with the real CLI. */
function install(live: LiveHome, id: string, options: Parameters<typeof writeFixtureAgent>[2]): void {
  const packages = join(live.home, '..', 'packages');
  mkdirSync(packages, { recursive: true });
  const result = live.cli(['agents', 'install', writeFixtureAgent(packages, id, options), '--json']);
  assert.equal(result.code, 0, `agents install ${id}: ${result.stdout}${result.stderr}`);
}

liveTest('live_ignore_check_json', async () => {
  const live = liveHome();
  try {
    await live.start();
    assert.equal(statSync(join(live.home, '.covenantignore')).mode & 0o777, 0o600, 'seeded at start, mode 0600');

    const ignored = live.cli(['ignore', 'check', '--json', 'summarize', '~/.ssh/id_ed25519']);
    assert.equal(ignored.code, 1, 'exit 1 when ignored');
    assert.equal(ignored.stderr, '');
    assert.deepEqual(ignored.json, {
      kind: 'ignore_report',
      ignored: true,
      matched_rule: '.ssh/',
      source: 'home',
      matched_path: '.ssh/id_ed25519',
      rules_loaded: 10,
      refused_overrides: [],
    });

    const clean = live.cli(['ignore', 'check', '--json', 'summarize', 'the', 'notes']);
    assert.equal(clean.code, 0);
    assert.equal(clean.json?.ignored, false);
    assert.equal(clean.json?.matched_rule, null);

    const plain = live.cli(['ignore', 'check', 'cat', 'server.pem']);
    assert.equal(plain.code, 1);
    assert.match(plain.stdout, /^ignored by \.covenantignore rule: \*\.pem/);

    // An agent package that tries to un-ignore a home rule: refused and reported.
    install(live, 'leaky', { creditsPerHour: 0, ignoreRules: '*.sqlite\n!.env\n' });
    const scoped = live.cli(['ignore', 'check', '--agent', 'leaky', '--json', 'read', '.env', 'and', 'cache.sqlite']);
    assert.equal(scoped.code, 1);
    assert.equal(scoped.json?.source, 'home');
    assert.equal(scoped.json?.matched_rule, '.env');
    assert.deepEqual(scoped.json?.refused_overrides, ['!.env']);
    const added = live.cli(['ignore', 'check', '--agent', 'leaky', '--json', 'read', 'cache.sqlite']);
    assert.equal(added.json?.source, 'agent:leaky');
    assert.equal(added.json?.rules_loaded, 11);
  } finally {
    await live.dispose();
  }
});

liveTest('live_ignored_dispatch_writes_nothing', async () => {
  const live = liveHome();
  try {
    await live.start();
    install(live, 'vault', { creditsPerHour: 100 });
    const result = live.cli(['intent', '--json', '--agent', 'vault', 'print', 'config/.env.local']);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, '');
    assert.equal(result.json?.kind, 'intent_result');
    assert.equal(result.json?.status, 'ignored');
    assert.equal(result.json?.text, 'ignored by .covenantignore rule: .env.*');
    assert.equal(result.json?.settlement, null);
    const intentId = result.json?.intent_id;

    assert.deepEqual(auditPayloads(live.home, 'intent_ignored'), [{ intent_id: intentId, matched_rule: '.env.*', source: 'home' }]);
    const rowsForIntent = query<{ kind: string }>(live.home, "SELECT kind FROM audit_events WHERE json_extract(payload, '$.intent_id') = ?", intentId);
    assert.deepEqual(rowsForIntent.map((r) => r.kind), ['intent_ignored'], 'no intent_dispatched, no budget rows');
    assert.equal(count(live.home, 'receipts'), 0, 'no receipt');
    assert.equal(count(live.home, 'memory_records'), 0, 'no memory record');
    assert.equal(count(live.home, 'budget_ledger'), 0, 'no debit');
    assert.equal(count(live.home, 'budget_checkpoints'), 0);

    // The same agent still runs a clean intent.
    const clean = live.cli(['intent', '--json', '--agent', 'vault', 'print', 'notes.txt']);
    assert.equal(clean.code, 0, clean.stdout);
    assert.equal(count(live.home, 'receipts', "resource = 'compute'"), 1);
  } finally {
    await live.dispose();
  }
});

liveTest('live_budget_exhaustion_pauses_intent', async () => {
  const live = liveHome();
  try {
    await live.start();
    install(live, 'meter', { creditsPerHour: 1 });
    const first = exhaustByPreemption(live, 'meter');

    const second = live.cli(['intent', '--json', '--agent', 'meter', 'second', 'job']);
    assert.equal(second.code, 1);
    assert.equal(second.stderr, '');
    assert.equal(second.json?.kind, 'error');
    assert.equal(second.json?.code, 'E_BUDGET_EXHAUSTED');
    assert.match(String(second.json?.message), /agent meter/);
    assert.match(String(second.json?.message), /refill_eta_ms \d+/);

    const [preempted, checkpoint] = query<{ intent_id: string; agent_id: string; reason: string; claimed_at: number | null }>(
      live.home,
      'SELECT intent_id, agent_id, reason, claimed_at FROM budget_checkpoints ORDER BY created_at',
    );
    assert.deepEqual(preempted && [preempted.intent_id, preempted.reason], [first, 'preempted']);
    assert.ok(checkpoint, 'the intent is paused, not lost');
    assert.equal(checkpoint.agent_id, 'meter');
    assert.equal(checkpoint.reason, 'exhausted');
    assert.equal(checkpoint.claimed_at, null);
    assert.match(String(second.json?.message), new RegExp(checkpoint.intent_id));
    const [exhausted] = auditPayloads(live.home, 'budget_exhausted');
    assert.equal(exhausted?.intent_id, checkpoint.intent_id);
    assert.equal(exhausted?.agent, 'meter');
    assert.equal(exhausted?.requested, 1);
    assert.ok(Number(exhausted?.refill_eta_ms) > 0);
    assert.equal(count(live.home, 'receipts', 'intent_id = ?', checkpoint.intent_id), 0, 'no receipt of any kind');

    const status = live.cli(['budget', 'status', '--agent', 'meter', '--json']);
    assert.equal(status.code, 0);
    const [entry] = status.json?.budgets as Array<Record<string, unknown>>;
    assert.equal(entry?.agent, 'meter');
    assert.equal(entry?.credits_per_hour, 1);
    assert.equal(entry?.paused_intents, 2, 'the preempted intent and the refused one');
    assert.ok(Number(entry?.refill_eta_ms) > 0);
  } finally {
    await live.dispose();
  }
});

liveTest('live_budget_topup_then_resume_succeeds', async () => {
  const live = liveHome();
  try {
    await live.start();
    install(live, 'meter', { creditsPerHour: 1 });
    exhaustByPreemption(live, 'meter');
    const paused = live.cli(['intent', '--json', '--agent', 'meter', 'resume', 'me', 'later']);
    assert.equal(paused.json?.code, 'E_BUDGET_EXHAUSTED');
    const [checkpoint] = query<{ intent_id: string }>(live.home, "SELECT intent_id FROM budget_checkpoints WHERE reason = 'exhausted'");
    assert.ok(checkpoint, 'the paused intent has a budget checkpoint');
    const intentId = checkpoint.intent_id;

    const early = live.cli(['intents', 'resume', 'latest', '--json']);
    assert.equal(early.code, 1, 'ok:false exits 1');
    assert.equal(early.json?.kind, 'intents_resume');
    assert.equal(early.json?.ok, false);
    assert.ok(Number(early.json?.refill_eta_ms) > 0);

    // 60 credits: the resumed run may take a minute (a cold agent start on a busy machine).
    const refused = live.cli(['budget', 'topup', 'meter', '60', '--json']);
    assert.equal(refused.code, 1);
    assert.equal(refused.json?.code, 'E_CAPABILITY_MISSING');
    const grant = live.cli(['capabilities', 'grant', 'budget.topup', '--json']);
    assert.equal(grant.code, 0, grant.stdout);
    const topup = live.cli(['budget', 'topup', 'meter', '60', '--json']);
    assert.equal(topup.code, 0, topup.stdout);
    assert.equal(topup.json?.kind, 'budget_topped_up');
    assert.equal(topup.json?.agent, 'meter');
    assert.ok(Number(topup.json?.balance) >= 50, String(topup.json?.balance));

    const resumed = live.cli(['intents', 'resume', intentId, '--json']);
    assert.equal(resumed.code, 0, resumed.stdout);
    assert.equal(resumed.stderr, '');
    assert.equal(resumed.json?.kind, 'intents_resume');
    assert.equal(resumed.json?.ok, true);
    assert.equal(resumed.json?.mode, 'resumed');
    assert.equal(resumed.json?.intent_id, intentId);
    assert.equal(resumed.json?.status, 'ok');
    assert.equal(resumed.json?.text, 'done: resume me later');
    for (const field of ['sources', 'settlement']) assert.ok(field in (resumed.json ?? {}), `missing ${field}`);

    const twice = live.cli(['intents', 'resume', intentId, '--json']);
    assert.equal(twice.code, 1);
    assert.equal(twice.json?.code, 'E_CONFLICT', 'a checkpoint is claimed once');

    assert.equal(count(live.home, 'budget_ledger', "kind = 'debit' AND intent_id = ?", intentId), 1, 'exactly one debit for the resumed run');
    assert.equal(count(live.home, 'receipts', "resource = 'compute' AND intent_id = ?", intentId), 1);
    assert.equal(auditPayloads(live.home, 'budget_topped_up').length, 1);
    assert.equal(auditPayloads(live.home, 'intent_resumed').length, 1);
  } finally {
    await live.dispose();
  }
});
