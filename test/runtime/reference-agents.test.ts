import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrustedLocalRunner, loadAgentPackage, runRequestFor, type AgentRunResult, type HostCall, type HostCallOutcome, type HostCallSession } from '../../src/runtime/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const AGENTS = path.resolve(here, '..', '..', 'agents');

async function runAgent(id: string, text: string, env?: Record<string, string>, hostCalls?: HostCallSession): Promise<AgentRunResult> {
  const pkg = await loadAgentPackage(path.join(AGENTS, id));
  const runner = new TrustedLocalRunner({ killGraceMs: 200 });
  try {
    // The ceiling only matters if an agent hangs: on a loaded machine node alone can take seconds to boot.
    const request = runRequestFor(pkg, { intent_id: `intent-${id}`, text }, { env: env ?? {}, timeoutMs: 120_000 });
    if (hostCalls) request.hostCalls = hostCalls;
    return await runner.run(request);
  } finally {
    await runner.close();
  }
}

/** The daemon's side of host calls, scripted: two memory passages and the given answers. */
function fakeSession(answers: Record<string, HostCallOutcome>): HostCallSession & { calls: HostCall[] } {
  const calls: HostCall[] = [];
  const records = [
    { id: 'rec-1', text: 'the audit log is a hash chain' },
    { id: 'rec-2', text: 'rows are signed by the daemon' },
  ];
  return {
    calls,
    serve: (call) => {
      calls.push(call);
      if (call.call === 'memory.search') return Promise.resolve({ result: { kind: 'memory_read', records } });
      return Promise.resolve(answers[call.call] ?? { error: { code: 'E_HOST_CALL_INVALID', message: 'unexpected' } });
    },
    refused: () => {},
  };
}

describe('reference agents', () => {
  it('hello echoes the intent', async () => {
    const result = await runAgent('hello', 'good morning');
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.answer, { text: 'hello from covenant: good morning', sources: [] });
  });

  it('research without a model answers with the best passages of the caller\'s memory and says so', async () => {
    const session = fakeSession({ 'model.chat': { error: { code: 'E_MODEL_NOT_CONFIGURED', message: 'no model is configured' } } });
    const first = await runAgent('research', 'how is the audit log protected?', {}, session);
    const second = await runAgent('research', 'how is the audit log protected?', {}, fakeSession({ 'model.chat': { error: { code: 'E_MODEL_NOT_CONFIGURED', message: 'x' } } }));
    assert.ok(first.ok && second.ok, JSON.stringify([first, second]));
    assert.deepEqual(first.answer, second.answer, 'deterministic');
    assert.deepEqual(first.answer.sources, ['rec-1', 'rec-2']);
    assert.match(first.answer.text, /^research \(offline, no model configured\): the best passages of your memory:\n\[1\] the audit log is a hash chain\n\[2\] rows are signed/);
    assert.deepEqual(session.calls.map((c) => c.call), ['memory.search', 'model.chat']);
    assert.deepEqual(session.calls[0]?.params, { query: 'how is the audit log protected?', limit: 3 });
  });

  it('research with a model answers through model.chat grounded on the passages; sources are the record ids', async () => {
    const session = fakeSession({ 'model.chat': { result: { text: 'the model says hi', model: 'tiny', tokens: { prompt: 3, completion: 4 } } } });
    const result = await runAgent('research', 'explain the audit log', {}, session);
    assert.ok(result.ok, JSON.stringify(result));
    assert.deepEqual(result.answer, { text: 'the model says hi', sources: ['rec-1', 'rec-2'] });
    const chat = session.calls[1]?.params as { messages: Array<{ role: string; content: string }> };
    assert.match(chat.messages[0]?.content ?? '', /\[1\] the audit log is a hash chain/);
    assert.deepEqual(chat.messages[1], { role: 'user', content: 'explain the audit log' });
  });

  it('research with a failing model is an error naming the agent, not a silent fallback', async () => {
    const result = await runAgent('research', 'explain gVisor', {}, fakeSession({ 'model.chat': { error: { code: 'E_MODEL_NOT_FOUND', message: 'run `ollama pull tiny`' } } }));
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === 'nonzero_exit');
    assert.match(result.message, /agent research: exited with code 1; stderr: research: the model failed: E_MODEL_NOT_FOUND: run `ollama pull tiny`/);
  });
});
