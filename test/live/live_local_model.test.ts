// Live tests for the local model (SPEC 16, SPEC 12 "Host calls"): the real covenantd and covenant
// binaries, the research agent and the llama-cpp provider doing real inference on the GGUF that
// `npm run make-test-model` writes (COVENANT_LIVE_TEST_MODEL; .ci/run builds it), end to end
// through `covenant intent`. Ollama tests run where an endpoint answers and skip naming it
// elsewhere. The gVisor test needs runsc and COVENANT_LIVE_GVISOR_ROOTFS (scripts/make-rootfs.sh).
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { checkGvisorReadiness } from '../../src/runtime/gvisor/index.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';
import { liveHome, liveTest, requireService, type LiveHome } from './harness.js';
import { okJson, readDb } from './helpers.js';

const SURFACE = 'local-model';
const MODEL = process.env.COVENANT_LIVE_TEST_MODEL ?? '';
const OLLAMA = (process.env.COVENANT_OLLAMA_ENDPOINT ?? 'http://127.0.0.1:11434').replace(/\/+$/, '');
const OLLAMA_MODEL = process.env.COVENANT_LIVE_OLLAMA_MODEL ?? '';
const HOST_CALLER = join(REPO_ROOT, 'test', 'fixtures', 'agents', 'host-caller');

function llamaMissing(): string | null {
  try {
    createRequire(import.meta.url).resolve('node-llama-cpp');
  } catch {
    return 'node-llama-cpp (the optional dependency) is not installed';
  }
  if (MODEL === '' || !existsSync(MODEL)) return 'the test model: set COVENANT_LIVE_TEST_MODEL to a file written by `npm run make-test-model -- FILE`';
  return null;
}

function configure(live: LiveHome, section: string): void {
  mkdirSync(live.home, { recursive: true, mode: 0o700 });
  writeFileSync(join(live.home, 'config.toml'), `[model]\n${section}`);
}

const llamaConfig = () => `provider = "llama-cpp"\nmodel_path = ${JSON.stringify(MODEL)}\ncontext_size = 1024\nmax_tokens = 24\ntimeout_ms = 120000\n`;

function intent(live: LiveHome, agent: string, text: string): Record<string, unknown> {
  const reply = okJson(live.cli(['intent', '--json', '--agent', agent, text]), 'intent_result');
  assert.equal(reply.status, 'ok', JSON.stringify(reply));
  return reply;
}

function hostCallRows(live: LiveHome, intentId: unknown): Array<Record<string, unknown>> {
  const rows = okJson(live.cli(['audit', 'recent', '--kind', 'agent_host_call', '-n', '50', '--json']), 'audit_recent').events as Array<{ payload: Record<string, unknown> }>;
  return rows.map((r) => r.payload).filter((p) => p.intent_id === intentId);
}

async function withHome(fn: (live: LiveHome) => Promise<void>, env: NodeJS.ProcessEnv = {}, config?: string): Promise<void> {
  const live = liveHome();
  Object.assign(live.env, env);
  try {
    if (config !== undefined) configure(live, config);
    await live.start();
    await fn(live);
  } finally {
    await live.dispose();
  }
}

liveTest('live_local_model_research_answers_through_llama_cpp', async (t: TestContext) => {
  const missing = llamaMissing();
  if (!requireService(t, SURFACE, missing === null, missing ?? '')) return;
  await withHome(async (live) => {
    const note = okJson(live.cli(['memory', 'write', 'the audit log is a hash chain signed by the daemon', '--json']), 'memory_written').record as { id: string };
    okJson(live.cli(['agents', 'install', join(REPO_ROOT, 'agents', 'research'), '--json']), 'agent_installed');
    const reply = intent(live, 'research', 'what is the audit log?');
    assert.doesNotMatch(String(reply.text), /offline/, 'the model answered, not the offline path');
    assert.ok(String(reply.text).length > 0);
    assert.deepEqual(reply.sources, [note.id], 'grounded on the memory record it was given');

    const rows = hostCallRows(live, reply.intent_id);
    assert.deepEqual(rows.map((r) => [r.call, r.outcome]).sort(), [['memory.search', 'ok'], ['model.chat', 'ok']]);
    const chat = rows.find((r) => r.call === 'model.chat')!;
    assert.ok(typeof chat.tokens === 'number' && chat.tokens > 24, `prompt + 24 generated tokens, got ${String(chat.tokens)}`);
    const receipt = readDb(live.home, (db) => db.prepare('SELECT resource, status, intent_id, tokens_used FROM receipts WHERE id = ?').get(chat.receipt_id)) as Record<string, unknown>;
    assert.deepEqual(receipt, { resource: 'compute', status: 'ok', intent_id: reply.intent_id, tokens_used: chat.tokens });
    // The receipts of the intent, as `covenant receipts recent --intent` shows them, and the answer's settlement.
    const receipts = okJson(live.cli(['receipts', 'recent', '--intent', String(reply.intent_id), '--json']), 'receipt_list').receipts as Array<{ id: string; tokens_used: number | null }>;
    assert.equal(receipts.find((r) => r.id === chat.receipt_id)?.tokens_used, chat.tokens);
    assert.equal((reply.settlement as { tokens_used: unknown }).tokens_used, chat.tokens);
  }, {}, llamaConfig());
}, { timeout: 300_000 });

liveTest('live_local_model_embeddings_through_provider', async (t: TestContext) => {
  const missing = llamaMissing();
  if (!requireService(t, SURFACE, missing === null, missing ?? '')) return;
  await withHome(async (live) => {
    okJson(live.cli(['agents', 'install', HOST_CALLER, '--json']), 'agent_installed');
    const reply = intent(live, 'host-caller', JSON.stringify({ steps: [{ call: 'model.embed', params: { input: ['audit log', 'hash chain'] } }] }));
    const [embed] = JSON.parse(String(reply.text)) as Array<{ result: { vectors: number[][]; dims: number } }>;
    assert.equal(embed?.result.vectors.length, 2);
    assert.equal(embed?.result.dims, 64);
    assert.deepEqual(hostCallRows(live, reply.intent_id).map((r) => [r.call, r.outcome]), [['model.embed', 'ok']]);
  }, {}, llamaConfig());
}, { timeout: 300_000 });

liveTest('live_local_model_memory_search_with_provider_embeddings', async (t: TestContext) => {
  const missing = llamaMissing();
  if (!requireService(t, SURFACE, missing === null, missing ?? '')) return;
  await withHome(async (live) => {
    const note = okJson(live.cli(['memory', 'write', 'the audit log is a hash chain signed by the daemon', '--json']), 'memory_written').record as { id: string };
    okJson(live.cli(['memory', 'write', 'a lighthouse keeper trims the wick at dusk', '--json']), 'memory_written');
    const found = okJson(live.cli(['memory', 'search', 'audit log hash chain', '--json']), 'memory_read');
    assert.equal(found.note, undefined, String(found.note));
    const records = found.records as Array<{ id: string; parts: { vector: number } }>;
    assert.equal(records[0]?.id, note.id);
    assert.ok(records.some((r) => r.parts.vector !== 0), 'the provider\'s vectors took part');
    const bound = readDb(live.home, (db) => db.prepare('SELECT embedder, dims FROM memory_embedder').all());
    assert.deepEqual(bound, [{ embedder: 'llama-cpp:test-model', dims: 64 }]);
  }, {}, `${llamaConfig()}embed_model = "test-model"\n`);
}, { timeout: 300_000 });

liveTest('live_local_model_ollama_chat', async (t: TestContext) => {
  const up = await fetch(`${OLLAMA}/api/version`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
  if (!requireService(t, SURFACE, up && OLLAMA_MODEL !== '', `Ollama at ${OLLAMA} with a chat model named in COVENANT_LIVE_OLLAMA_MODEL`)) return;
  await withHome(async (live) => {
    okJson(live.cli(['agents', 'install', join(REPO_ROOT, 'agents', 'research'), '--json']), 'agent_installed');
    const reply = intent(live, 'research', 'say hello');
    assert.doesNotMatch(String(reply.text), /offline/);
    assert.deepEqual(hostCallRows(live, reply.intent_id).find((r) => r.call === 'model.chat')?.outcome, 'ok');
  }, {}, `provider = "ollama"\nendpoint = ${JSON.stringify(OLLAMA)}\nchat_model = ${JSON.stringify(OLLAMA_MODEL)}\n`);
}, { timeout: 300_000 });

liveTest('live_local_model_gvisor_agent_without_network', async (t: TestContext) => {
  const rootfs = process.env.COVENANT_LIVE_GVISOR_ROOTFS || '';
  const modelMissing = llamaMissing();
  const readiness = await checkGvisorReadiness({ rootfs });
  const missing = modelMissing
    ?? (!readiness.runsc.found || readiness.runsc.version === null ? 'runsc (gVisor; apt-get install runsc)'
      : rootfs === '' ? 'a gVisor rootfs (set COVENANT_LIVE_GVISOR_ROOTFS; bash scripts/make-rootfs.sh DIR/rootfs builds one)'
        : !readiness.rootfs.valid || !readiness.rootfs.node ? `a usable gVisor rootfs at ${rootfs} (${readiness.rootfs.message})`
          : !readiness.kernel.ok ? `a host that can run gVisor (${readiness.kernel.message})` : null);
  if (!requireService(t, SURFACE, missing === null, missing ?? '')) return;
  const { dir, cleanup } = tempDir('covenant-gvisor-caller-');
  try {
    const pkg = join(dir, 'gvisor-caller');
    cpSync(HOST_CALLER, pkg, { recursive: true });
    const toml = readFileSync(join(pkg, 'agent.toml'), 'utf8').replace('id = "host-caller"', 'id = "gvisor-caller"');
    writeFileSync(join(pkg, 'agent.toml'), `${toml}\n[sandbox]\nrequired = true\nbackend = "linux-gvisor"\n`);
    await withHome(async (live) => {
      const installed = okJson(live.cli(['agents', 'install', pkg, '--json']), 'agent_installed');
      assert.equal((installed.agent as { backend: string }).backend, 'linux-gvisor');
      const reply = intent(live, 'gvisor-caller', JSON.stringify({ steps: [{ call: 'model.chat', params: { messages: [{ role: 'user', content: 'hello' }] } }] }));
      const [chat] = JSON.parse(String(reply.text)) as Array<{ result?: { text: string; tokens: { completion: number } } }>;
      assert.ok(chat?.result && chat.result.text.length > 0, String(reply.text));
      assert.equal(chat.result.tokens.completion, 24);
      assert.deepEqual(hostCallRows(live, reply.intent_id).map((r) => [r.call, r.outcome]), [['model.chat', 'ok']]);
    }, { COVENANT_GVISOR_ROOTFS: rootfs }, llamaConfig());
  } finally {
    cleanup();
  }
}, { timeout: 300_000 });
