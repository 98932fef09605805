import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fakeOllama, goodAnswer, type FakeOllama } from '../helpers/fake-ollama.js';
import { FIXTURE_AGENTS, startRuntimeDaemon, type RuntimeDaemon } from './helpers.js';

type Reply = { id: number; result?: Record<string, unknown>; error?: { code: string; message: string } };

describe('host calls through the in-process daemon (SPEC 12)', () => {
  let t: RuntimeDaemon;
  let ollama: FakeOllama;
  /** What the stand-in answers /api/chat with (bad-input tests switch it). */
  let chatAnswer: 'good' | 'error_line' | 'garbage' | 'missing_model' = 'good';

  before(async () => {
    ollama = await fakeOllama((url, body) => {
      if (url !== '/api/chat' || chatAnswer === 'good') return goodAnswer(url, body);
      if (chatAnswer === 'error_line') return { body: '{"error":"llama runner process has terminated"}' };
      if (chatAnswer === 'garbage') return { body: '<html>not an answer</html>' };
      return { status: 404, body: JSON.stringify({ error: `model "${String(body.model)}" not found, try pulling it first` }) };
    });
    t = await startRuntimeDaemon();
    writeFileSync(t.paths.config, `[model]\nprovider = "ollama"\nchat_model = "tiny"\nembed_model = "tiny-embed"\nendpoint = "${ollama.endpoint}"\ntimeout_ms = 5000\nmax_tokens = 64\n`);
    await t.install(join(FIXTURE_AGENTS, 'host-caller'));
    // The same agent, declaring only memory.read: every other call is undeclared.
    const narrow = join(mkdtempSync(join(tmpdir(), 'covenant-narrow-')), 'narrow');
    cpSync(join(FIXTURE_AGENTS, 'host-caller'), narrow, { recursive: true });
    const toml = readFileSync(join(narrow, 'agent.toml'), 'utf8').replace('id = "host-caller"', 'id = "narrow-caller"').replace(/^optional = .*$/m, 'optional = ["memory.read"]');
    writeFileSync(join(narrow, 'agent.toml'), toml);
    await t.install(narrow);
  });
  after(async () => {
    await t.stop();
    await ollama.close();
  });

  async function script(steps: unknown[], agent = 'host-caller'): Promise<{ intentId: string; replies: Reply[]; reply: Record<string, unknown> }> {
    const reply = await t.ok({ kind: 'submit_intent', agent, text: JSON.stringify({ steps }) });
    assert.equal(reply.status, 'ok', JSON.stringify(reply));
    return { intentId: String(reply.intent_id), replies: JSON.parse(String(reply.text)) as Reply[], reply };
  }

  const rows = (intentId: string) => t.auditPayloads('agent_host_call').filter((p) => p.intent_id === intentId);

  it('model.chat answers through the provider, audited and metered with the tokens used', async () => {
    const { intentId, replies, reply } = await script([{ call: 'model.chat', params: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 1000 } }]);
    assert.deepEqual(replies, [{ id: 1, result: { text: 'the model says hi', model: 'tiny', tokens: { prompt: 7, completion: 5 } } }]);
    // max_tokens is capped by [model] max_tokens.
    assert.deepEqual(ollama.requests.at(-1)?.body.options, { num_predict: 64 });
    const [row] = rows(intentId);
    assert.equal(row?.outcome, 'ok');
    assert.equal(row?.call, 'model.chat');
    assert.equal(row?.agent, 'host-caller');
    assert.equal(row?.tokens, 12);
    const receipt = t.ctx.db.prepare('SELECT resource, status, intent_id, credits_consumed, tokens_used FROM receipts WHERE id = ?').get(row?.receipt_id) as Record<string, unknown>;
    assert.deepEqual(receipt, { resource: 'compute', status: 'ok', intent_id: intentId, credits_consumed: 1, tokens_used: 12 });
    // The answer's settlement shows the intent's tokens; the run's own receipt does not repeat them.
    const settlement = reply.settlement as { receipt_id: string; tokens_used: number | null };
    assert.equal(settlement.tokens_used, 12);
    assert.equal((t.ctx.db.prepare('SELECT tokens_used FROM receipts WHERE id = ?').get(settlement.receipt_id) as { tokens_used: unknown }).tokens_used, null);
    const listed = await t.ok({ kind: 'receipts_recent', intent_id: intentId });
    const tokens = (listed.receipts as Array<{ tokens_used: number | null }>).map((r) => r.tokens_used).sort();
    assert.deepEqual(tokens, [12, null], 'receipts recent --intent shows the call\'s tokens');
  });

  it('an agent with no model call has null tokens in its settlement', async () => {
    const { reply } = await script([{ call: 'memory.search', params: { query: 'x' } }]);
    assert.equal((reply.settlement as { tokens_used: unknown }).tokens_used, null);
  });

  it('model calls are debited from the agent\'s budget; when it runs out the next call is refused, audited', async () => {
    await t.ok({ kind: 'budget_set', agent: 'host-caller', credits_per_hour: 3 });
    try {
      const chat = { call: 'model.chat', params: { messages: [{ role: 'user', content: 'hi' }] } };
      // 3 credits: the run reserves 1, so two calls of 1 credit each fit and the third does not.
      const { intentId, replies, reply } = await script([chat, chat, chat, { call: 'memory.search', params: { query: 'x' } }]);
      assert.deepEqual(replies.map((r) => r.error?.code ?? 'ok'), ['ok', 'ok', 'E_BUDGET_EXHAUSTED', 'ok']);
      assert.match(replies[2]?.error?.message ?? '', /budget of agent host-caller is exhausted .*covenant budget topup host-caller/);
      assert.deepEqual(rows(intentId).map((r) => [r.call, r.outcome]), [
        ['model.chat', 'ok'], ['model.chat', 'ok'], ['model.chat', 'E_BUDGET_EXHAUSTED'], ['memory.search', 'ok'],
      ]);
      const ledger = t.ctx.db.prepare('SELECT kind, credits FROM budget_ledger WHERE intent_id = ? ORDER BY id').all(intentId);
      assert.deepEqual(ledger, [{ kind: 'model_call', credits: 1 }, { kind: 'model_call', credits: 1 }, { kind: 'debit', credits: 1 }]);
      // Each metered call's receipt is in the transaction of its debit and its row; the refused one has neither.
      const metered = rows(intentId).filter((r) => r.receipt_id !== undefined);
      assert.equal(metered.length, 2);
      assert.equal((reply.settlement as { tokens_used: number }).tokens_used, 24);
      assert.equal(t.count('receipts', "intent_id = ? AND tokens_used = 12", intentId), 2);
    } finally {
      await t.ok({ kind: 'budget_set', agent: 'host-caller', credits_per_hour: 0 });
    }
  });

  it('a provider that fails answers the agent with a stable code: one row, a failed receipt, the daemon serving', async () => {
    const cases = [['error_line', 'E_MODEL_FAILED', /llama runner process has terminated/], ['garbage', 'E_MODEL_FAILED', /not an answer/], ['missing_model', 'E_MODEL_NOT_FOUND', /ollama pull tiny/]] as const;
    try {
      for (const [answer, code, message] of cases) {
        chatAnswer = answer;
        const { intentId, replies } = await script([{ call: 'model.chat', params: { messages: [{ role: 'user', content: 'hi' }] } }]);
        assert.equal(replies[0]?.error?.code, code, JSON.stringify(replies));
        assert.match(replies[0]?.error?.message ?? '', message);
        const [row, ...more] = rows(intentId);
        assert.deepEqual([row?.call, row?.outcome, more.length], ['model.chat', code, 0], 'one audit row');
        const receipt = t.ctx.db.prepare('SELECT status, failure_reason FROM receipts WHERE id = ?').get(row?.receipt_id);
        assert.deepEqual(receipt, { status: 'failed', failure_reason: code });
      }
    } finally {
      chatAnswer = 'good';
    }
    assert.equal((await t.ok({ kind: 'ping' })).kind, 'daemon_ping');
  });

  it('model.embed returns the vectors', async () => {
    const { intentId, replies } = await script([{ call: 'model.embed', params: { input: ['a', 'b'] } }]);
    assert.deepEqual(replies[0]?.result, { model: 'tiny-embed', vectors: [[0.5, 0, 0.25], [0.5, 1, 0.25]], dims: 3, tokens: 6 });
    assert.equal(rows(intentId)[0]?.outcome, 'ok');
  });

  it('memory.write and memory.search run as the caller', async () => {
    const { intentId, replies } = await script([
      { call: 'memory.write', params: { text: 'the audit log is a hash chain', tier: 'longterm' } },
      { call: 'memory.search', params: { query: 'audit log hash chain', limit: 3 } },
    ]);
    const written = replies[0]?.result?.record as { id: string; owner: string };
    assert.equal(written.owner, t.self.pubkey, 'written as the intent\'s caller');
    const found = replies[1]?.result?.records as Array<{ id: string }>;
    assert.ok(found.some((r) => r.id === written.id), JSON.stringify(replies[1]));
    assert.deepEqual(rows(intentId).map((r) => [r.call, r.outcome]), [['memory.write', 'ok'], ['memory.search', 'ok']]);
  });

  it('tools.call needs the caller\'s tool.call grant', async () => {
    const refused = await script([{ call: 'tools.call', params: { name: 'echo', arguments: { text: 'x' } } }]);
    assert.equal(refused.replies[0]?.error?.code, 'E_CAPABILITY_MISSING');
    assert.deepEqual(rows(refused.intentId).map((r) => r.outcome), ['E_CAPABILITY_MISSING']);
    await t.ok({ kind: 'capabilities_grant', action: 'tool.call.echo' });
    const allowed = await script([{ call: 'tools.call', params: { name: 'echo', arguments: { text: 'x' } } }]);
    assert.equal(allowed.replies[0]?.result?.kind, 'tool_result', JSON.stringify(allowed.replies));
  });

  it('a call the manifest does not declare is refused, naming the manifest line to add', async () => {
    const { intentId, replies } = await script([{ call: 'model.chat', params: { messages: [{ role: 'user', content: 'hi' }] } }], 'narrow-caller');
    assert.equal(replies[0]?.error?.code, 'E_CAPABILITY_MISSING');
    assert.match(replies[0]?.error?.message ?? '', /narrow-caller does not declare model\.chat: add it to \[capabilities\] optional/);
    assert.deepEqual(rows(intentId).map((r) => r.outcome), ['E_CAPABILITY_MISSING']);
  });

  it('unknown calls and bad call lines get stable codes, one row each', async () => {
    const { intentId, replies } = await script([
      { call: 'shell.exec', params: {} },
      { call: 'a2a.send', params: { peer: 'x' } },
      { call: 'model.chat', params: { messages: 'not a list' } },
      { raw: '{"call": 5, "id": 40}', reply: true },
    ]);
    assert.deepEqual(replies.map((r) => [r.id, r.error?.code]), [[1, 'E_HOST_CALL_INVALID'], [2, 'E_HOST_CALL_INVALID'], [3, 'E_HOST_CALL_INVALID'], [40, 'E_HOST_CALL_INVALID']]);
    assert.deepEqual(rows(intentId).map((r) => r.outcome), ['E_HOST_CALL_INVALID', 'E_HOST_CALL_INVALID', 'E_HOST_CALL_INVALID', 'E_HOST_CALL_INVALID']);
  });

  describe('a2a.send', () => {
    let bob: { token: string; agent: { display: string; pubkey: string } };
    const send = (params: Record<string, unknown>, agent?: string) => script([{ call: 'a2a.send', params: { recipient: 'bob@peer', text: 'summarise the log', ...params } }], agent);
    const tasks = () => t.count('a2a_tasks');

    before(async () => {
      bob = await t.addPeer('bob');
      await t.ok({ kind: 'capabilities_grant', action: `a2a.recv.${t.self.display}`, to: 'bob@peer' });
    });

    it('is refused when the manifest does not declare a2a.send.<recipient>: nothing queued', async () => {
      // Named by pubkey prefix, the action is still the recipient's display (as its grant names it).
      const { intentId, replies } = await send({ recipient: bob.agent.pubkey.slice(0, 12) }, 'narrow-caller');
      assert.equal(replies[0]?.error?.code, 'E_CAPABILITY_MISSING');
      assert.match(replies[0]?.error?.message ?? '', /narrow-caller does not declare a2a\.send\.bob@peer: add it to \[capabilities\] optional/);
      assert.deepEqual(rows(intentId).map((r) => [r.call, r.outcome]), [['a2a.send', 'E_CAPABILITY_MISSING']]);
      assert.equal(tasks(), 0);
    });

    it('is refused when the caller lacks a2a.send.<recipient>: nothing queued, audited', async () => {
      const checks = t.auditPayloads('capability_check').length;
      const { intentId, replies } = await send({});
      assert.equal(replies[0]?.error?.code, 'E_CAPABILITY_MISSING', JSON.stringify(replies));
      assert.deepEqual(rows(intentId).map((r) => [r.call, r.outcome]), [['a2a.send', 'E_CAPABILITY_MISSING']]);
      // The intent's own intent.submit check commits with its settlement, after the host call's.
      const sendChecks = t.auditPayloads('capability_check').slice(checks).filter((c) => c.required === 'a2a.send.bob@peer');
      assert.equal(sendChecks.length, 1, JSON.stringify(sendChecks));
      assert.equal(sendChecks[0]!.passed, false);
      assert.equal(tasks(), 0);
    });

    it('never lets the agent name the sender', async () => {
      const { intentId, replies } = await send({ sender: 'bob@peer' });
      assert.equal(replies[0]?.error?.code, 'E_HOST_CALL_INVALID');
      assert.match(replies[0]?.error?.message ?? '', /sender/);
      assert.deepEqual(rows(intentId).map((r) => r.outcome), ['E_HOST_CALL_INVALID']);
      assert.equal(tasks(), 0);
    });

    it('queues the task in the recipient\'s inbox as sent by the intent\'s caller', async () => {
      await t.ok({ kind: 'capabilities_grant', action: 'a2a.send.bob@peer' });
      const { intentId, replies } = await send({ task_kind: 'summary', idempotency_key: 'k1' });
      const sent = replies[0]?.result as { kind: string; replayed: boolean; task: { id: string; state: string; sender: { pubkey: string } } };
      assert.equal(sent?.kind, 'a2a_sent', JSON.stringify(replies));
      assert.equal(sent.replayed, false);
      assert.equal(sent.task.state, 'queued');
      assert.equal(sent.task.sender.pubkey, t.self.pubkey);
      assert.deepEqual(rows(intentId).map((r) => [r.call, r.outcome]), [['a2a.send', 'ok']]);
      const queued = t.audit('a2a_task_queued').at(-1);
      assert.equal(queued?.payload.task_id, sent.task.id);
      assert.equal(queued?.issuer_pubkey, t.self.pubkey, 'queued by the caller, not the daemon');

      const received = await t.ok({ kind: 'a2a_recv' }, bob.token);
      const task = received.task as { id: string; sender: { pubkey: string; display: string }; recipient: string; intent_text: string; task_kind: string };
      assert.equal(task.id, sent.task.id);
      assert.equal(task.sender.pubkey, t.self.pubkey);
      assert.equal(task.sender.display, t.self.display);
      assert.equal(task.recipient, 'bob@peer');
      assert.equal(task.intent_text, 'summarise the log');
      assert.equal(task.task_kind, 'summary');
    });
  });

  it('a flood past 64 calls per intent is refused with E_HOST_CALL_LIMIT, audited once', async () => {
    const { intentId, replies } = await script([{ call: 'memory.search', params: { query: 'x' }, times: 67 }]);
    assert.equal(replies.filter((r) => r.result !== undefined).length, 64);
    assert.deepEqual(replies.slice(64).map((r) => r.error?.code), ['E_HOST_CALL_LIMIT', 'E_HOST_CALL_LIMIT', 'E_HOST_CALL_LIMIT']);
    assert.deepEqual(rows(intentId).filter((r) => r.outcome === 'E_HOST_CALL_LIMIT').length, 1);
  });

  it('a malformed line fails the run (malformed_output) and the daemon keeps serving', async () => {
    const reply = await t.ok({ kind: 'submit_intent', agent: 'host-caller', text: JSON.stringify({ steps: [{ raw: 'this is not json' }, { call: 'memory.search', params: { query: 'x' } }] }) });
    assert.equal(reply.status, 'failed');
    assert.match(String(reply.text), /malformed output: a line that is not JSON/);
    const [failed] = t.auditPayloads('intent_failed').filter((p) => p.intent_id === reply.intent_id);
    assert.equal(failed?.reason, 'malformed_output');
    assert.equal((await t.ok({ kind: 'ping' })).kind, 'daemon_ping');
  });
});

describe('host calls with a llama-cpp model file that is missing or broken', () => {
  let t: RuntimeDaemon;
  let dir: string;
  before(async () => {
    t = await startRuntimeDaemon();
    dir = mkdtempSync(join(tmpdir(), 'covenant-gguf-'));
    await t.install(join(FIXTURE_AGENTS, 'host-caller'));
  });
  after(async () => {
    await t.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a missing file is E_MODEL_NOT_FOUND and a truncated one E_MODEL_UNAVAILABLE: one row each, the daemon serving', async () => {
    const truncated = join(dir, 'truncated.gguf');
    writeFileSync(truncated, Buffer.from('GGUF\u0003\u0000'));
    for (const [file, code] of [[join(dir, 'missing.gguf'), 'E_MODEL_NOT_FOUND'], [truncated, 'E_MODEL_UNAVAILABLE']] as const) {
      writeFileSync(t.paths.config, `[model]\nprovider = "llama-cpp"\nmodel_path = ${JSON.stringify(file)}\n`);
      await t.restart();
      t.client = await t.connect();
      await t.client.authenticate(t.operatorToken());
      const reply = await t.ok({ kind: 'submit_intent', agent: 'host-caller', text: JSON.stringify({ steps: [{ call: 'model.chat', params: { messages: [{ role: 'user', content: 'hi' }] } }] }) });
      const [answer] = JSON.parse(String(reply.text)) as Reply[];
      assert.equal(answer?.error?.code, code, JSON.stringify(answer));
      assert.doesNotMatch(answer?.error?.message ?? '', new RegExp(dir.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')), 'names the file, not its directory');
      const rows = t.auditPayloads('agent_host_call').filter((p) => p.intent_id === reply.intent_id);
      assert.deepEqual(rows.map((r) => [r.call, r.outcome]), [['model.chat', code]]);
      assert.equal((await t.ok({ kind: 'ping' })).kind, 'daemon_ping');
    }
  });
});
