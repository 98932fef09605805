/**
 * Live tests for the agent runtime and dispatch (SPEC 12, 13): real `covenantd` and `covenant`
 * binaries on a temporary home, real agent processes.
 *
 * External services: none for the trusted-local tests (node only). The gVisor dispatch test
 * needs `runsc` and a rootfs built with `scripts/make-rootfs.sh`, given as
 * COVENANT_LIVE_GVISOR_ROOTFS (or COVENANT_GVISOR_ROOTFS); without them it skips naming what is
 * missing, unless COVENANT_LIVE_REQUIRE lists runtime-linux-gvisor.
 *
 *   COVENANT_LIVE=1 COVENANT_LIVE_GVISOR_ROOTFS=/tmp/covenant-rootfs \
 *     node --import tsx --test test/live/live_agent_runtime.test.ts
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { locateBwrap } from '../../src/runtime/bwrap/index.js';
import { checkGvisorReadiness } from '../../src/runtime/gvisor/index.js';
import { REPO_ROOT, spawnDaemon } from '../helpers/binaries.js';
import { gvisorBundleDirs, runscContainers } from '../helpers/gvisor-state.js';
import { commandLineHas, liveProcesses, processesNaming } from '../helpers/proc.js';
import { pidAlive, waitFor } from '../helpers/wait.js';
import { liveHome, liveTest, requireService, type LiveHome } from './harness.js';
import { readDb } from './helpers.js';

const FIXTURES = join(REPO_ROOT, 'test', 'fixtures', 'agents');
/** What an agent without `sandbox.backend` runs on here (SPEC 13: linux-bwrap when bwrap is installed). */
const DEFAULT_BACKEND = locateBwrap() === null ? 'trusted-local' : 'linux-bwrap';

/** Starts the real covenantd on the home with extra environment (the CLI keeps the plain env). */
async function startWithEnv(h: LiveHome, extra: NodeJS.ProcessEnv): Promise<void> {
  h.daemon = await spawnDaemon(h.home, { ...h.env, ...extra });
}

function install(h: LiveHome, dir: string): Record<string, unknown> {
  const result = h.cli(['agents', 'install', dir, '--json']);
  assert.equal(result.code, 0, `install ${dir}: ${result.stdout}${result.stderr}`);
  assert.equal(result.stderr, '');
  assert.equal(result.json?.kind, 'agent_installed');
  return result.json;
}

liveTest('live_research_agent_via_stdio', async () => {
  // The agent's side of SPEC 12 host calls, with this test as the daemon: it asks memory.search,
  // then model.chat; with no model it answers with the passages.
  const child = spawn(process.execPath, [join(REPO_ROOT, 'agents', 'research', 'main.js')], { env: { PATH: process.env.PATH }, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.write(`${JSON.stringify({ intent_id: 'live-1', text: 'Compare gVisor and containers: which isolates agents better?' })}\n`);
  const calls: string[] = [];
  const answer = await new Promise<{ text: string; sources: string[] }>((resolve, reject) => {
    let buffered = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      buffered += chunk;
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = JSON.parse(buffered.slice(0, nl)) as { call?: string; id?: number; text?: string; sources?: string[] };
        buffered = buffered.slice(nl + 1);
        if (typeof line.text === 'string') return resolve(line as { text: string; sources: string[] });
        calls.push(String(line.call));
        const reply = line.call === 'memory.search'
          ? { id: line.id, result: { records: [{ id: 'rec-9', text: 'gVisor intercepts system calls in a user-space kernel' }] } }
          : { id: line.id, error: { code: 'E_MODEL_NOT_CONFIGURED', message: 'no model is configured' } };
        child.stdin.write(`${JSON.stringify(reply)}\n`);
      }
    });
    child.once('exit', (code) => reject(new Error(`research exited ${code} before answering`)));
  });
  child.stdin.end();
  assert.deepEqual(calls, ['memory.search', 'model.chat']);
  assert.match(answer.text, /^research \(offline, no model configured\): the best passages of your memory:\n\[1\] gVisor intercepts/);
  assert.deepEqual(answer.sources, ['rec-9']);
});

liveTest('live_daemon_dispatch_to_research_agent_through_cli', async () => {
  const h = liveHome();
  try {
    await h.start();
    const installed = install(h, 'agents/research'); // relative: the CLI resolves it
    assert.deepEqual(installed.agent, { id: 'research', name: 'Research', version: '0.2.0', runtime: 'node', backend: DEFAULT_BACKEND });
    assert.ok(existsSync(join(h.home, 'agents', 'research', 'main.js')));

    const list = h.cli(['agents', 'list', '--json']);
    assert.equal(list.code, 0);
    assert.deepEqual((list.json!.agents as Array<{ id: string }>).map((a) => a.id), ['research']);

    const intent = h.cli(['intent', '--json', 'research', 'why', 'hash-chained', 'audit', 'logs', 'make', 'tampering', 'evident']);
    assert.equal(intent.code, 0, intent.stdout + intent.stderr);
    assert.equal(intent.stderr, '');
    const reply = intent.json!;
    assert.equal(reply.kind, 'intent_result');
    assert.equal(reply.status, 'ok');
    assert.equal(reply.agent, 'research');
    assert.match(String(reply.text), /^research \(offline, no model configured\)/);
    assert.deepEqual(reply.sources, [], 'an empty memory: no passages, no sources');
    const settlement = reply.settlement as { receipt_id: string; resource: string; status: string; credits_consumed: number };
    assert.equal(settlement.resource, 'compute');
    assert.equal(settlement.status, 'ok');
    assert.ok(settlement.credits_consumed >= 1);

    const human = h.cli(['intent', 'summarize', 'the', 'covenant', 'design']);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /^research \(offline, no model configured\)/);

    const audit = h.cli(['audit', 'recent', '--kind', 'intent_dispatched', '--json']);
    assert.equal(audit.code, 0, audit.stdout);
    const rows = (audit.json!.events as Array<{ payload: Record<string, unknown> }>).map((e) => e.payload);
    const row = rows.find((p) => p.intent_id === reply.intent_id);
    assert.ok(row, 'an intent_dispatched row for the intent');
    assert.equal(row.agent, 'research');
    assert.equal(row.receipt_id, settlement.receipt_id);

    const stored = readDb(h.home, (db) => ({
      receipt: db.prepare('SELECT * FROM receipts WHERE id = ?').get(settlement.receipt_id) as Record<string, unknown> | undefined,
      memory: db.prepare('SELECT tier, receipt_id FROM memory_records WHERE id = ?').get(reply.intent_id) as Record<string, unknown> | undefined,
      memoryReceipt: db
        .prepare("SELECT resource, payer FROM receipts WHERE memory_record_id = ? AND resource = 'memory'")
        .get(reply.intent_id) as Record<string, unknown> | undefined,
    }));
    assert.ok(stored.receipt, 'the receipt is in covenant.db');
    assert.equal(stored.receipt.status, 'ok');
    assert.equal(stored.receipt.intent_id, reply.intent_id);
    assert.equal(stored.memory?.tier, 'working', 'the answer is a working memory record with id = intent_id');
    assert.equal(stored.memoryReceipt?.resource, 'memory', 'the record has its memory receipt');
    assert.equal(stored.memoryReceipt?.payer, stored.receipt.payer);
  } finally {
    await h.dispose();
  }
});

liveTest('live_agent_malformed_stdout_rejected', async () => {
  const h = liveHome();
  try {
    await h.start();
    install(h, join(FIXTURES, 'malformed'));
    const intent = h.cli(['intent', '--json', '--agent', 'malformed', 'answer', 'me']);
    assert.equal(intent.code, 1, 'a failed intent exits 1');
    const reply = intent.json!;
    assert.equal(reply.status, 'failed');
    assert.equal(reply.agent, 'malformed');
    assert.match(String(reply.text), /^agent malformed: malformed output: not JSON/);
    assert.equal((reply.settlement as { status: string }).status, 'failed');

    const audit = h.cli(['audit', 'recent', '--kind', 'intent_failed', '--json']);
    const row = (audit.json!.events as Array<{ payload: Record<string, unknown> }>).map((e) => e.payload).find((p) => p.intent_id === reply.intent_id);
    assert.ok(row);
    assert.equal(row.reason, 'malformed_output');
    assert.ok(!JSON.stringify(row).includes('plain text from the malformed fixture'), 'agent output is not audited');
    const reason = readDb(h.home, (db) => db.prepare('SELECT failure_reason FROM receipts WHERE intent_id = ?').get(reply.intent_id)) as {
      failure_reason: string;
    };
    assert.equal(reason.failure_reason, 'malformed_output');
    assert.equal(h.cli(['ping', '--json']).code, 0, 'the daemon keeps serving');
  } finally {
    await h.dispose();
  }
});

liveTest('live_agent_timeout_kills_group', async () => {
  const h = liveHome();
  const pidfile = join(h.home, '..', 'slow-pids.json');
  try {
    await startWithEnv(h, { FIXTURE_PIDFILE: pidfile });
    install(h, join(FIXTURES, 'slow'));
    const started = Date.now();
    const intent = h.cli(['intent', '--json', '--agent', 'slow', 'never', 'finishes']);
    assert.equal(intent.code, 1);
    assert.equal(intent.json!.status, 'failed');
    assert.match(String(intent.json!.text), /agent slow: timed out after 3000 ms; its process group was killed/);
    assert.ok(Date.now() - started < 60_000, 'ended by the timeout, not by the agent');
    const pids = JSON.parse(readFileSync(pidfile, 'utf8')) as { agent: number; grandchild: number };
    assert.ok(await waitFor(() => !pidAlive(pids.agent) && !pidAlive(pids.grandchild), 60_000, 50), 'the agent and its grandchild are gone');
    const receipt = readDb(h.home, (db) => db.prepare('SELECT failure_reason FROM receipts WHERE intent_id = ?').get(intent.json!.intent_id)) as {
      failure_reason: string;
    };
    assert.equal(receipt.failure_reason, 'timeout');
  } finally {
    await h.dispose();
  }
});

liveTest('live_agent_stdout_flood_killed', async () => {
  const h = liveHome();
  try {
    await h.start();
    install(h, join(FIXTURES, 'flood'));
    const intent = h.cli(['intent', '--json', '--agent', 'flood', 'fill', 'the', 'pipe']);
    assert.equal(intent.code, 1);
    assert.equal(intent.json!.status, 'failed');
    assert.match(String(intent.json!.text), /agent flood: stdout exceeded 16777216 bytes; its process group was killed/);
    const receipt = readDb(h.home, (db) => db.prepare('SELECT failure_reason FROM receipts WHERE intent_id = ?').get(intent.json!.intent_id)) as {
      failure_reason: string;
    };
    assert.equal(receipt.failure_reason, 'stdout_overflow');
    assert.equal(h.cli(['ping', '--json']).code, 0, 'the daemon keeps serving');
  } finally {
    await h.dispose();
  }
});

liveTest('live_agent_env_allowlist_hides_operator_token', async () => {
  const h = liveHome();
  try {
    // First start mints the operator token; restart with it (and other secrets) in the daemon's env.
    await h.start();
    const operatorToken = h.operatorToken();
    await h.daemon!.stop();
    const secrets = {
      COVENANT_TOKEN: operatorToken,
      COVENANT_API_TOKEN: 'live-secret-api-token',
      COVENANT_SIGNING_KEY: 'live-secret-signing-key',
      COVENANT_DB_PASSWORD: 'live-secret-password',
      COVENANT_CLIENT_SECRET: 'live-secret-client',
      AWS_SECRET_ACCESS_KEY: 'live-secret-aws',
      OPENAI_API_KEY: 'live-secret-openai',
      COVENANT_VISIBLE_SETTING: 'visible-value',
    };
    await startWithEnv(h, secrets);
    install(h, join(FIXTURES, 'env-dump'));
    const intent = h.cli(['intent', '--json', '--agent', 'env-dump', 'show', 'your', 'environment']);
    assert.equal(intent.code, 0, intent.stdout + intent.stderr);
    const text = String(intent.json!.text);
    const env = JSON.parse(text) as Record<string, string>;
    assert.ok(!text.includes(operatorToken), 'the operator token is not in the agent environment');
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(!(name in env), `${name} is not passed`);
      assert.ok(!text.includes(value), `the value of ${name} is not passed`);
    }
    // An allowlist: no COVENANT_* variable of the daemon but the model settings reaches an agent.
    for (const name of Object.keys(env)) {
      assert.ok(['PATH', 'HOME', 'LANG', 'TZ', 'PWD'].includes(name) || /^LC_[A-Z]+$/.test(name), `${name} is on the allowlist`);
    }
    assert.ok(typeof env.PATH === 'string' && env.PATH.length > 0);
  } finally {
    await h.dispose();
  }
});

liveTest('live_gvisor_dispatch_through_daemon', async (t) => {
  const rootfs = process.env.COVENANT_LIVE_GVISOR_ROOTFS || process.env.COVENANT_GVISOR_ROOTFS || '';
  const readiness = await checkGvisorReadiness({ rootfs });
  const missing = !readiness.runsc.found || readiness.runsc.version === null
    ? 'runsc (gVisor; apt-get install runsc)'
    : rootfs === ''
      ? 'a gVisor rootfs (set COVENANT_LIVE_GVISOR_ROOTFS; scripts/make-rootfs.sh builds one)'
      : !readiness.rootfs.valid || !readiness.rootfs.node
        ? `a usable gVisor rootfs at ${rootfs} (${readiness.rootfs.message})`
        : !readiness.kernel.ok
          ? `a host that can run gVisor (${readiness.kernel.message})`
          : null;
  if (!requireService(t, 'runtime-linux-gvisor', missing === null, missing ?? 'runsc')) return;

  const h = liveHome();
  try {
    await startWithEnv(h, { COVENANT_GVISOR_ROOTFS: rootfs });
    const installed = install(h, join(FIXTURES, 'gvisor-hello'));
    assert.equal((installed.agent as { backend: string }).backend, 'linux-gvisor');

    const intent = h.cli(['intent', '--json', '--agent', 'gvisor-hello', 'hello', 'from', 'the', 'sandbox']);
    assert.equal(intent.code, 0, intent.stdout + intent.stderr);
    const reply = intent.json!;
    assert.equal(reply.status, 'ok');
    assert.equal(reply.agent, 'gvisor-hello');
    assert.equal(reply.text, 'sandboxed hello: hello from the sandbox');
    assert.deepEqual(reply.sources, ['host:covenant-agent', 'cwd:/workspace'], 'it ran inside the gVisor sandbox');
    const settlement = reply.settlement as { receipt_id: string; status: string };
    assert.equal(settlement.status, 'ok');

    const audit = h.cli(['audit', 'recent', '--kind', 'intent_dispatched', '--json']);
    const row = (audit.json!.events as Array<{ payload: Record<string, unknown> }>).map((e) => e.payload).find((p) => p.intent_id === reply.intent_id);
    assert.equal(row?.backend, 'linux-gvisor');
    assert.equal(row?.receipt_id, settlement.receipt_id);

    // Every used bundle directory is gone: only runsc's state directory and the warm run
    // prepared for the next intent (`warm-<uuid>`, resources.warm defaults to true) may remain.
    const gvisorDir = join(h.home, 'runtime', 'gvisor');
    const left = gvisorBundleDirs(gvisorDir);
    assert.ok(left.length <= 1 && left.every((n) => n.startsWith('warm-')), `left behind: ${left.join(', ')}`);

    const doctor = h.cli(['doctor', '--json']);
    const checks = new Map((doctor.json!.checks as Array<{ name: string; ok: boolean | null }>).map((c) => [c.name, c.ok]));
    assert.equal(checks.get('runsc'), true);
    assert.equal(checks.get('gvisor_rootfs'), true);

    // The warm sandbox was started by covenantd's launcher, and covenantd's SIGKILL stops it.
    const containers = () => runscContainers(readiness.runsc.path as string, gvisorDir);
    const bundles = () => gvisorBundleDirs(gvisorDir);
    assert.ok(await waitFor(() => containers().length === 1, 60_000), 'the warm sandbox runs');
    const [warm] = containers();
    const runscRun = liveProcesses().find((p) => commandLineHas(p.pid, `${gvisorDir}/${warm}`))!;
    const launcher = liveProcesses().find((p) => p.pid === runscRun.ppid)!;
    assert.ok(commandLineHas(launcher.pid, 'launcher-main'), "runsc run is the launcher's child");
    assert.equal(launcher.ppid, h.daemon!.child.pid, "the launcher is covenantd's child");
    await h.daemon!.stop('SIGKILL');
    assert.ok(await waitFor(() => processesNaming(gvisorDir).length === 0, 60_000), 'no runsc process of this home outlives covenantd');
    assert.deepEqual(containers(), [], 'runsc keeps no container');
    assert.deepEqual(bundles(), [warm], "the killed covenantd's warm bundle is left");

    // The next covenantd removes it and serves intents in a new warm sandbox.
    await startWithEnv(h, { COVENANT_GVISOR_ROOTFS: rootfs });
    assert.ok(await waitFor(() => containers().length === 1 && bundles().length === 1 && bundles()[0] === containers()[0], 60_000), `left: ${bundles().join(', ')}`);
    assert.notEqual(bundles()[0], warm);
    const again = h.cli(['intent', '--json', '--agent', 'gvisor-hello', 'again']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.equal(again.json!.text, 'sandboxed hello: again');
  } finally {
    await h.dispose();
  }
}, { timeout: 180_000 });
