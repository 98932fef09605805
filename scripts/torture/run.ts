import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { homePaths } from '../../src/home/layout.js';
import { IpcClient } from '../../src/ipc/client.js';
import { REPO_ROOT, runCli } from '../../test/helpers/binaries.js';
import { tempDir } from '../../test/helpers/temp-home.js';
import { assertBuilt, harnessEnv, processesUnder, readOperatorToken, startDaemon, stopDaemon, type HarnessDaemon } from '../harness/daemon.js';
import { Rng } from '../harness/rng.js';
import { Ledger, operatorTokenAnomaly, type WriteKind } from './ledger.js';
import { runWorker, type LoadState } from './workload.js';

export interface TortureOptions {
  cycles: number;
  seed: number;
  workers: number;
  /** The daemon is killed when the cycle's n-th write is acknowledged, n drawn in [minAcks, maxAcks]. */
  minAcks: number;
  maxAcks: number;
  keep: boolean;
  /** Self-test: records one write that was never made, which the run must report lost. */
  injectLoss: boolean;
}

export interface VerifyTally {
  runs: number;
  clean: number;
  failures: number;
}

export interface TortureReport {
  kind: 'torture_report';
  seed: number;
  cycles_requested: number;
  cycles_completed: number;
  workers: number;
  requests_sent: number;
  requests_unanswered: number;
  writes: Record<WriteKind, { acknowledged: number; lost: number }>;
  acknowledged_total: number;
  lost_total: number;
  audit_verify: VerifyTally;
  covenant_verify: VerifyTally;
  operator_token_anomalies: number;
  restart_failures: number;
  unexpected_exits: number;
  stalled_cycles: number;
  orphan_processes: number;
  final_shutdown: { code: number | null; signal: string | null; clean: boolean } | null;
  problems: string[];
  ok: boolean;
}

/** With no write acknowledged for this long the cycle counts as stalled and is killed anyway. */
const STALL_MS = 60_000;
/** How long agent processes get to notice their daemon died before they are counted and killed. */
const ORPHAN_GRACE_MS = 10_000;

export async function runTorture(options: TortureOptions, progress: (line: string) => void): Promise<TortureReport> {
  assertBuilt();
  const rng = new Rng(options.seed);
  const { dir, cleanup } = tempDir('covenant-torture-');
  const home = join(dir, 'home');
  const paths = homePaths(home);
  // The agent backend is the caller's COVENANT_RUNTIME_BACKEND, else trusted-local (named, as it must be).
  const env = harnessEnv(dir, home, { COVENANT_RUNTIME_BACKEND: process.env.COVENANT_RUNTIME_BACKEND || 'trusted-local' });
  const ledger = new Ledger();
  const peers: LoadState['peers'] = [];
  const problems: string[] = [];
  const problem = (text: string) => {
    if (problems.length < 40) problems.push(text);
  };
  const tally = { sent: 0, unanswered: 0, completed: 0, anomalies: 0, restartFailures: 0, unexpectedExits: 0, stalled: 0, orphans: 0 };
  const auditVerify: VerifyTally = { runs: 0, clean: 0, failures: 0 };
  const covenantVerify: VerifyTally = { runs: 0, clean: 0, failures: 0 };
  let finalShutdown: TortureReport['final_shutdown'] = null;

  let daemon: HarnessDaemon | null = await startDaemon(home, env, ['--no-http']);
  try {
    await prepareHome(daemon.sock, readOperatorToken(home), dir);
    if (options.injectLoss) ledger.memoryWrite(`injected-${options.seed}`, 'injected');
    for (let cycle = 1; cycle <= options.cycles; cycle += 1) {
      const target = rng.int(options.minAcks, options.maxAcks);
      const outcome = await loadAndKill(daemon, home, ledger, peers, rng.fork(cycle), cycle, options.workers, target);
      tally.sent += outcome.sent;
      tally.unanswered += outcome.unanswered;
      if (outcome.unexpectedExit) {
        tally.unexpectedExits += 1;
        problem(`cycle ${cycle}: covenantd exited by itself (${outcome.unexpectedExit}) under load`);
      }
      if (outcome.stalled) {
        tally.stalled += 1;
        problem(`cycle ${cycle}: no write acknowledged for ${STALL_MS} ms; killed anyway`);
      }
      tally.orphans += await reapOrphans(dir);
      try {
        daemon = await startDaemon(home, env, ['--no-http']);
      } catch (error) {
        daemon = null;
        tally.restartFailures += 1;
        problem(`cycle ${cycle}: covenantd did not start again: ${error instanceof Error ? error.message.slice(0, 400) : String(error)}`);
        break;
      }
      const missing = ledger.checkAll(paths.db, cycle);
      if (missing > 0) problem(`cycle ${cycle}: ${missing} acknowledged write(s) missing after the restart`);
      const fileToken = readOperatorToken(home);
      const anomaly = (await authenticates(daemon.sock, fileToken)) ? operatorTokenAnomaly(paths.db, fileToken) : 'the token file does not authenticate';
      if (anomaly) {
        tally.anomalies += 1;
        problem(`cycle ${cycle}: operator token: ${anomaly}`);
      }
      runVerify(['audit', 'verify', '--json'], env, auditVerify, (json) => (json?.report as { valid?: unknown } | undefined)?.valid === true, `cycle ${cycle}: audit verify`, problem);
      runVerify(['verify', '--window', '100000', '--json'], env, covenantVerify, (json) => json?.orphans_total === 0, `cycle ${cycle}: covenant verify`, problem);
      tally.completed += 1;
      progress(`cycle ${cycle}/${options.cycles}: killed at ack ${target}, ${missing} missing, audit verify ${auditVerify.failures === 0 ? 'clean' : 'FAILED'}`);
    }
  } finally {
    if (daemon) {
      const stopped = await stopDaemon(daemon, 30_000);
      finalShutdown = { code: stopped.exit.code, signal: stopped.exit.signal, clean: stopped.clean };
    }
    tally.orphans += await reapOrphans(dir);
    if (options.keep) process.stderr.write(`kept ${dir}\n`);
    else cleanup();
  }

  const writes = ledger.counts();
  const acknowledged = Object.values(writes).reduce((sum, w) => sum + w.acknowledged, 0);
  const lost = Object.values(writes).reduce((sum, w) => sum + w.lost, 0);
  for (const example of ledger.examples) problem(example);
  if (tally.completed >= 3 && writes.intent_receipt.acknowledged === 0) {
    problem(`no intent to the hello agent was acknowledged in ${tally.completed} cycles: check the agent runtime backend (${env.COVENANT_RUNTIME_BACKEND})`);
  }
  const ok =
    lost === 0 &&
    auditVerify.failures === 0 &&
    covenantVerify.failures === 0 &&
    tally.anomalies === 0 &&
    tally.restartFailures === 0 &&
    tally.unexpectedExits === 0 &&
    tally.stalled === 0 &&
    tally.completed === options.cycles;
  return {
    kind: 'torture_report',
    seed: options.seed,
    cycles_requested: options.cycles,
    cycles_completed: tally.completed,
    workers: options.workers,
    requests_sent: tally.sent,
    requests_unanswered: tally.unanswered,
    writes,
    acknowledged_total: acknowledged,
    lost_total: lost,
    audit_verify: auditVerify,
    covenant_verify: covenantVerify,
    operator_token_anomalies: tally.anomalies,
    restart_failures: tally.restartFailures,
    unexpected_exits: tally.unexpectedExits,
    stalled_cycles: tally.stalled,
    orphan_processes: tally.orphans,
    final_shutdown: finalShutdown,
    problems,
    ok,
  };
}

/** The installed agent the intents go to (the reference `hello`, warm) and chain.flush for the operator. */
async function prepareHome(sock: string, token: string, dir: string): Promise<void> {
  const agentDir = join(dir, 'hello-agent');
  cpSync(join(REPO_ROOT, 'agents', 'hello'), agentDir, { recursive: true });
  const client = await IpcClient.connect(sock);
  try {
    await client.authenticate(token);
    for (const message of [
      { kind: 'agents_install', dir: agentDir },
      { kind: 'capabilities_grant', action: 'chain.flush' },
    ]) {
      const reply = await client.request(message);
      if (reply.kind === 'error') throw new Error(`setup ${message.kind} failed: ${String(reply.code)} ${String(reply.message)}`);
    }
  } finally {
    client.close();
  }
}

interface CycleOutcome {
  sent: number;
  unanswered: number;
  unexpectedExit: string | null;
  stalled: boolean;
}

/** Concurrent load until the target-th acknowledged write, then SIGKILL; resolves once all workers stopped. */
async function loadAndKill(daemon: HarnessDaemon, home: string, ledger: Ledger, peers: LoadState['peers'], rng: Rng, cycle: number, workers: number, target: number): Promise<CycleOutcome> {
  let acks = 0;
  let killedByUs = false;
  let stalled = false;
  const kill = () => {
    state.stopping = true;
    killedByUs = true;
    daemon.child.kill('SIGKILL');
  };
  const watchdog = setTimeout(() => {
    stalled = true;
    kill();
  }, STALL_MS);
  const state: LoadState = {
    home,
    sock: daemon.sock,
    ledger,
    token: readOperatorToken(home),
    peers,
    stopping: false,
    sent: 0,
    unanswered: 0,
    onAck() {
      acks += 1;
      watchdog.refresh();
      if (acks >= target && !state.stopping) kill();
    },
  };
  void daemon.exited.then(() => {
    state.stopping = true;
  });
  await Promise.all(Array.from({ length: workers }, (_, i) => runWorker(state, rng.fork(i), `c${cycle}-w${i}`)));
  const exit = await daemon.exited;
  clearTimeout(watchdog);
  return {
    sent: state.sent,
    unanswered: state.unanswered,
    unexpectedExit: killedByUs ? null : `code ${exit.code}, signal ${exit.signal}`,
    stalled,
  };
}

async function authenticates(sock: string, token: string): Promise<boolean> {
  const client = await IpcClient.connect(sock);
  try {
    await client.authenticate(token);
    return true;
  } catch {
    return false;
  } finally {
    client.close();
  }
}

/** Waits (bounded) for agent processes of the killed daemon to exit; kills and counts the rest. */
async function reapOrphans(dir: string): Promise<number> {
  const deadline = Date.now() + ORPHAN_GRACE_MS;
  let left = processesUnder(dir);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = processesUnder(dir);
  }
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  return left.length;
}

function runVerify(
  args: string[],
  env: NodeJS.ProcessEnv,
  tally: VerifyTally,
  clean: (json: Record<string, unknown> | null) => boolean,
  label: string,
  problem: (text: string) => void,
): void {
  const result = runCli(args, env);
  tally.runs += 1;
  if (result.code === 0 && clean(result.json)) {
    tally.clean += 1;
    return;
  }
  tally.failures += 1;
  problem(`${label} exited ${result.code}: ${(result.stdout + result.stderr).slice(0, 600)}`);
}
