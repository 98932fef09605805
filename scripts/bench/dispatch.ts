import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { locateRunsc, removeGvisorBundle, writeGvisorBundle } from '../../src/runtime/gvisor/index.js';
import { latencyRatio, msSince, p50Pair, percentile, type Ratio } from './stats.js';
import { waitUntilQuiet } from './quiet.js';
import { helloPackageDir, installHello } from './hello-agent.js';
import { INTENT_BY_HAND as INTENT, timeCommand } from './timed-command.js';

const RAW_CLIENT = fileURLToPath(new URL('./raw-socket-client.cjs', import.meta.url));

/**
 * The agent's own part of a warm dispatch, by hand: `hello` started and left to boot until it is
 * idle (as covenantd's warm process is when an intent arrives), then milliseconds from the
 * intent written on its stdin to its exit (its answer, and node tearing the process down).
 */
async function warmAgentByHand(pkg: string, env: NodeJS.ProcessEnv): Promise<number> {
  const child = spawn(process.execPath, [join(pkg, 'main.js')], { env, stdio: ['pipe', 'pipe', 'inherit'] });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  waitUntilQuiet(child.pid!);
  const start = process.hrtime.bigint();
  child.stdin.end(INTENT);
  const code = await exited;
  const ms = msSince(start);
  if (code !== 0) throw new Error(`hello by hand exited ${code}`);
  return ms;
}

/**
 * `covenant intent --agent hello` (daemon + CLI, whole process) vs running the agent by hand,
 * and, interleaved with both, the floors under the dispatch (reported, docs/performance.md
 * "Dispatch"): `covenant ping` (the CLI's start, connection and one round trip); the same ping
 * and the same intent from a raw socket client (one CommonJS file, no CLI code: the least any
 * client can cost); and the warm agent's own part, by hand. Each command starts once covenantd
 * and its children are idle: the replacement warm process an intent leaves booting must not
 * share the cores with the agent by hand that follows it.
 */
export async function benchTrustedLocalDispatch(repo: string, cli: string, env: NodeJS.ProcessEnv, daemonPid: number, scratch: string, runs = 30): Promise<Ratio[]> {
  const pkg = installHello(repo, cli, env, scratch);
  const intent = () => timeCommand(process.execPath, [cli, 'intent', '--agent', 'hello', 'hello', 'bench'], env);
  const byHand = () => timeCommand(process.execPath, [join(pkg, 'main.js')], env, INTENT);
  const ping = () => timeCommand(process.execPath, [cli, 'ping'], env);
  const rawIntent = () => timeCommand(process.execPath, [RAW_CLIENT, 'intent', 'hello', 'hello', 'bench'], env);
  const rawPing = () => timeCommand(process.execPath, [RAW_CLIENT, 'ping'], env);
  const warmAgent = () => warmAgentByHand(pkg, env);
  const samples: number[][] = [[], [], [], [], [], []];
  for (let i = 0; i < runs + 3; i += 1) {
    const round: number[] = [];
    for (const command of [intent, byHand, ping, rawIntent, rawPing, warmAgent]) {
      waitUntilQuiet(daemonPid);
      round.push(await command());
    }
    if (i >= 3) round.forEach((ms, k) => samples[k]!.push(ms));
  }
  const [subject, baseline, floor, raw, rawPingMs, warmAgentMs] = samples.map((s) => percentile(s, 50)) as [number, number, number, number, number, number];
  return [
    latencyRatio(
      {
        name: 'intent dispatch, trusted-local (p50, whole process)',
        subject: 'covenant intent --agent hello (daemon + CLI)',
        baseline: 'node agents/hello/main.js < intent.json',
      },
      subject,
      baseline,
      1.1,
    ),
    latencyRatio(
      {
        name: 'the floor under a CLI dispatch: covenant ping vs the agent by hand (p50, whole process)',
        subject: 'covenant ping (CLI start, connect, authenticate, one round trip)',
        baseline: 'node agents/hello/main.js < intent.json',
      },
      floor,
      baseline,
      'reported',
    ),
    latencyRatio(
      {
        name: 'the same intent from a raw socket client vs the agent by hand (p50, whole process)',
        subject: 'scripts/bench/raw-socket-client.cjs intent hello (one CommonJS file: token file, one write, two answers)',
        baseline: 'node agents/hello/main.js < intent.json',
      },
      raw,
      baseline,
      'reported (next to row "intent dispatch": what the CLI costs over the least client)',
    ),
    latencyRatio(
      {
        name: "the floor under any dispatch: a raw client's ping plus the warm agent's own answer and exit, vs the agent by hand (p50s)",
        subject: `raw-socket-client.cjs ping (${rawPingMs.toFixed(1)} ms) + hello booted and idle, intent written to exit (${warmAgentMs.toFixed(1)} ms); covenantd's own work not counted`,
        baseline: 'node agents/hello/main.js < intent.json',
      },
      rawPingMs + warmAgentMs,
      baseline,
      'reported (1.1 minus this is what the target leaves covenantd for its own work)',
    ),
  ];
}

/**
 * Intents sent back to back on one socket connection (each sent when the previous answered, so
 * each finds the warm agent its predecessor's replacement started, or waits for it), p50 per
 * intent, vs running the agent by hand. Run after benchTrustedLocalDispatch (hello installed).
 */
export async function benchBackToBackIntents(env: NodeJS.ProcessEnv, sock: string, token: string, scratch: string, runs = 30): Promise<Ratio> {
  const pkg = helloPackageDir(scratch);
  const client = await IpcClient.connect(sock);
  await client.authenticate(token);
  const intent = async () => {
    const start = process.hrtime.bigint();
    const reply = await client.request({ kind: 'submit_intent', text: 'hello bench', agent: 'hello' });
    if (reply.status !== 'ok') throw new Error(`intent failed: ${JSON.stringify(reply)}`);
    return msSince(start);
  };
  const samples: number[] = [];
  const byHand: number[] = [];
  for (let i = 0; i < runs + 3; i += 1) {
    const a = await intent();
    const b = timeCommand(process.execPath, [join(pkg, 'main.js')], env, INTENT);
    if (i >= 3) {
      samples.push(a);
      byHand.push(b);
    }
  }
  client.close();
  return latencyRatio(
    {
      name: 'intents back to back on one connection (p50 each)',
      subject: 'submit_intent --agent hello, next sent on the answer (socket client)',
      baseline: 'node agents/hello/main.js < intent.json',
    },
    percentile(samples, 50),
    percentile(byHand, 50),
    'reported',
  );
}

/** The same intent to a gVisor-sandboxed copy of hello vs a bare `runsc run` of the same bundle. */
export async function benchGvisorDispatch(repo: string, cli: string, env: NodeJS.ProcessEnv, scratch: string, runs = 15): Promise<Ratio | string> {
  const rootfs = env.COVENANT_GVISOR_ROOTFS;
  const located = locateRunsc();
  if (!rootfs || !existsSync(join(rootfs, 'bin', 'sh')) || !located.found || !located.path) {
    return 'gVisor dispatch: skipped (needs runsc on PATH and COVENANT_GVISOR_ROOTFS with bin/sh; see docs/gvisor-runner.md)';
  }
  const runsc = located.path;
  const pkg = installHello(repo, cli, env, scratch, { id: 'hello-gvisor', backend: 'linux-gvisor', sandboxRequired: true });

  const stateRoot = join(scratch, 'bare-runsc');
  let n = 0;
  const bareRun = () => {
    n += 1;
    const runId = `bench-${process.pid}-${n}`;
    const bundle = writeGvisorBundle({ stateRoot, runId, rootfs, packageDir: pkg, runtime: 'node', entry: 'main.js', memoryMb: 64 });
    return bundle;
  };
  const bundles: Array<{ dir: string; runId: string }> = [];
  for (let i = 0; i < runs + 3; i += 1) bundles.push(await bareRun());
  let next = 0;
  const [subject, baseline] = p50Pair(
    runs,
    3,
    () => timeCommand(process.execPath, [cli, 'intent', '--agent', 'hello-gvisor', 'hello', 'bench'], env),
    () => {
      const bundle = bundles[next++]!;
      return timeCommand(runsc, ['--network=none', '--root', join(stateRoot, 'state'), 'run', '--bundle', bundle.dir, bundle.runId], env, INTENT);
    },
  );
  for (const bundle of bundles) await removeGvisorBundle(bundle.dir);
  return latencyRatio(
    {
      name: 'intent dispatch, gVisor (p50, whole process)',
      subject: 'covenant intent --agent hello-gvisor (daemon + CLI + runsc)',
      baseline: 'bare runsc run of the same bundle',
    },
    subject,
    baseline,
    1.2,
  );
}
