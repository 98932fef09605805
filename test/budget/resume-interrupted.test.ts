/**
 * A resumed intent whose run covenantd did not outlive (SIGKILL mid-run) would show `running`
 * forever: the next start marks it failed (`intent_interrupted`, reason `interrupted`), once;
 * its checkpoint stays claimed and nothing was charged for it.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI_BIN, REPO_ROOT, runCli, spawnDaemon, type DaemonProcess } from '../helpers/binaries.js';
import { tempHome } from '../helpers/temp-home.js';
import { pidAlive, waitFor } from '../helpers/wait.js';
import { fixtureAgentPids, writeFixtureAgent } from './fixture-agent.js';

interface Listed {
  intent_id: string;
  status: string;
  reason: string | null;
  message: string | null;
}

test('a resumed intent interrupted by a SIGKILL of covenantd is marked failed at the next start, once', { timeout: 300_000 }, async () => {
  const { home, cleanup } = tempHome();
  const scratch = join(home, '..', 'scratch');
  mkdirSync(scratch);
  const pidfile = join(scratch, 'pids.txt');
  const env: NodeJS.ProcessEnv = { ...process.env, COVENANT_HOME: home, FIXTURE_PIDFILE: pidfile };
  delete env.COVENANT_TOKEN;
  let daemon: DaemonProcess | null = await spawnDaemon(home, env);
  const agentPids = () => fixtureAgentPids(pidfile);
  try {
    assert.equal(runCli(['agents', 'install', writeFixtureAgent(scratch, 'slowpoke', { creditsPerHour: 1 })], env).code, 0);
    // The agent would sleep 10 min; its 1 credit preempts it after 1 s, however busy the
    // machine, and pauses the intent.
    const paused = runCli(['intent', '--agent', 'slowpoke', '--json', 'slowpoke sleep:600000'], env);
    assert.equal(paused.json!.status, 'paused', paused.stdout);
    assert.match(String(paused.json!.text), /preempted/);
    const intentId = String(paused.json!.intent_id);
    assert.equal(runCli(['capabilities', 'grant', 'budget.topup'], env).code, 0);
    assert.equal(runCli(['budget', 'topup', 'slowpoke', '100'], env).code, 0);

    // The resume runs the agent (it sleeps 10 min); covenantd is killed while it runs.
    const earlier = agentPids().length;
    const resume = spawn(process.execPath, [CLI_BIN, 'intents', 'resume', intentId, '--json'], { env, cwd: REPO_ROOT, stdio: 'ignore' });
    const resumeExited = new Promise((resolve) => resume.once('exit', resolve));
    assert.ok(await waitFor(() => agentPids().length === earlier + 1), 'the resumed run started');
    const running = runCli(['intents', 'list', '--status', 'running', '--json'], env);
    assert.deepEqual((running.json!.intents as Listed[]).map((i) => i.intent_id), [intentId]);
    await daemon.stop('SIGKILL');
    daemon = null;
    await resumeExited;
    const agent = agentPids()[earlier]!;
    if (pidAlive(agent)) process.kill(agent, 'SIGKILL');

    daemon = await spawnDaemon(home, env);
    const listed = (runCli(['intents', 'list', '--json'], env).json!.intents as Listed[]).find((i) => i.intent_id === intentId)!;
    assert.equal(listed.status, 'failed');
    assert.equal(listed.reason, 'interrupted');
    assert.match(String(listed.message), /submit the intent again/);
    const plain = runCli(['intents', 'list'], env);
    assert.match(plain.stdout, /failed/);
    assert.equal((runCli(['intents', 'list', '--status', 'running', '--json'], env).json!.intents as Listed[]).length, 0);

    const shown = runCli(['intents', 'show', intentId, '--json'], env).json!;
    const rows = shown.events as Array<{ kind: string; payload: Record<string, unknown>; issuer: { display: string } }>;
    const interrupted = rows.filter((r) => r.kind === 'intent_interrupted');
    assert.equal(interrupted.length, 1);
    assert.deepEqual(interrupted[0]!.payload, { intent_id: intentId, agent: 'slowpoke', reason: 'daemon_stopped' });
    assert.deepEqual(rows.map((r) => r.kind).slice(-2), ['intent_resumed', 'intent_interrupted']);
    const receipts = shown.receipts as Array<{ status: string; failure_reason: string | null }>;
    assert.deepEqual(
      receipts.map((r) => [r.status, r.failure_reason]),
      [['failed', 'budget_preempted']],
      'the preempted run was charged; nothing for the interrupted one',
    );
    assert.notEqual((shown.checkpoint as { claimed_at: number | null }).claimed_at, null);
    const again = runCli(['intents', 'resume', intentId, '--json'], env);
    assert.equal(again.json!.code, 'E_CONFLICT', 'a checkpoint is claimed once');

    // A later start finds nothing left to mark.
    assert.equal(await daemon.stop(), 0);
    daemon = await spawnDaemon(home, env);
    const after = runCli(['intents', 'show', intentId, '--json'], env).json!;
    assert.equal((after.events as Array<{ kind: string }>).filter((r) => r.kind === 'intent_interrupted').length, 1);
    assert.equal(runCli(['audit', 'verify', '--json'], env).code, 0);
  } finally {
    if (daemon) await daemon.stop();
    for (const pid of agentPids()) if (pidAlive(pid)) process.kill(pid, 'SIGKILL');
    cleanup();
  }
});
