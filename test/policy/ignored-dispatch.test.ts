import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startBudgetDaemon, writeFixtureAgent, type BudgetDaemon } from '../budget/daemon-helpers.js';

/** Rows the request's own authorization writes before the pipeline runs. */
const AUTHORIZATION_ROWS = new Set(['capability_check']);

describe('the ignore gate in dispatch (in-process daemon)', () => {
  let t: BudgetDaemon;

  before(async () => {
    t = await startBudgetDaemon();
    // A budgeted agent, so a debit would show in budget_ledger; it ships its own rules.
    await t.ok({ kind: 'agents_install', dir: writeFixtureAgent(t.packages, 'vault', { creditsPerHour: 100, ignoreRules: '*.sqlite\n!.env\n' }) });
  });
  after(async () => {
    await t.stop();
  });

  const tables = () => ({
    receipts: t.count('receipts'),
    compute: t.count('receipts', "resource = 'compute'"),
    memory: t.count('memory_records'),
    ledger: t.count('budget_ledger'),
    checkpoints: t.count('budget_checkpoints'),
  });

  async function submitIgnored(message: Record<string, unknown>, rule: string, source: string) {
    const before = tables();
    const seqBefore = t.auditKinds().length;
    const reply = await t.call({ kind: 'submit_intent', ...message });
    assert.equal(reply.kind, 'intent_result', JSON.stringify(reply));
    assert.equal(reply.status, 'ignored');
    assert.equal(reply.text, `ignored by .covenantignore rule: ${rule}`);
    assert.equal(reply.settlement, null);
    assert.deepEqual(reply.sources, []);
    const written = t.auditKinds().slice(seqBefore).filter((k) => !AUTHORIZATION_ROWS.has(k));
    assert.deepEqual(written, ['intent_ignored'], 'exactly one intent_ignored row and nothing else');
    const row = t.auditPayloads('intent_ignored').at(-1);
    assert.deepEqual(row, { intent_id: reply.intent_id, matched_rule: rule, source });
    assert.deepEqual(tables(), before, 'no receipt, no memory record, no debit, no checkpoint');
    return reply;
  }

  it('a routed intent naming a home-ignored path writes intent_ignored and nothing else', async () => {
    await submitIgnored({ text: 'vault please summarize ~/.ssh/id_ed25519' }, '.ssh/', 'home');
    await submitIgnored({ text: 'vault read config/.env.local' }, '.env.*', 'home');
  });

  it("the agent's own rules apply to intents routed to it, by keyword or by --agent", async () => {
    await submitIgnored({ text: 'vault summarize data/cache.sqlite' }, '*.sqlite', 'agent:vault');
    await submitIgnored({ text: 'summarize data/cache.sqlite', agent: 'vault' }, '*.sqlite', 'agent:vault');
  });

  it("an agent's !.env cannot un-ignore the home rule, and ignore_check reports the refusal", async () => {
    await submitIgnored({ text: 'open .env', agent: 'vault' }, '.env', 'home');
    const report = await t.ok({ kind: 'ignore_check', text: 'open .env', agent: 'vault' });
    assert.deepEqual(report, {
      kind: 'ignore_report',
      ignored: true,
      matched_rule: '.env',
      source: 'home',
      matched_path: '.env',
      rules_loaded: 11,
      refused_overrides: ['!.env'],
    });
  });

  it('a clean intent still runs (receipt, memory, debit) after the gate', async () => {
    const before = tables();
    const reply = await t.ok({ kind: 'submit_intent', text: 'vault summarize notes.txt' });
    assert.equal(reply.status, 'ok', JSON.stringify(reply));
    const now = tables();
    assert.equal(now.compute, before.compute + 1);
    assert.ok(now.memory > before.memory, 'the run writes memory');
    assert.equal(now.ledger, before.ledger + 1);
  });

  it('ignore_check follows edits of the home file and refuses unknown agents', async () => {
    const clean = await t.ok({ kind: 'ignore_check', text: 'read notes.txt' });
    assert.equal(clean.ignored, false);
    assert.equal(clean.rules_loaded, 10);
    writeFileSync(join(t.home, '.covenantignore'), '.env\nnotes.txt\n');
    const edited = await t.ok({ kind: 'ignore_check', text: 'read notes.txt' });
    assert.deepEqual([edited.ignored, edited.matched_rule, edited.rules_loaded], [true, 'notes.txt', 2]);
    const unknown = await t.call({ kind: 'ignore_check', text: 'x', agent: 'nobody' });
    assert.equal(unknown.kind, 'error');
    assert.equal(unknown.code, 'E_NOT_FOUND');
  });
});
