import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { IpcClient } from '../../src/ipc/index.js';
import { locateRunsc, removeGvisorBundle, writeGvisorBundle } from '../../src/runtime/gvisor/index.js';
import { latencyRatio, msSince, p50Pair, percentile, type Ratio } from './stats.js';
import { waitUntilQuiet } from './quiet.js';
import { helloPackageDir, installHello } from './hello-agent.js';
import { INTENT_BY_HAND as INTENT, timeCommand } from './timed-command.js';

/**
 * `covenant intent --agent hello` (daemon + CLI, whole process) vs running the agent by hand,
 * and, interleaved with both, `covenant ping`: the CLI's own start, connection and one round
 * trip, the floor under any dispatch (reported, docs/performance.md "Dispatch"). Each command
 * starts once covenantd and its children are idle: the replacement warm process an intent
 * leaves booting must not share the cores with the agent by hand that follows it.
 */
export function benchTrustedLocalDispatch(repo: string, cli: string, env: NodeJS.ProcessEnv, daemonPid: number, scratch: string, runs = 30): Ratio[] {
  const pkg = installHello(repo, cli, env, scratch);
  const intent = () => timeCommand(process.execPath, [cli, 'intent', '--agent', 'hello', 'hello', 'bench'], env);
  const byHand = () => timeCommand(process.execPath, [join(pkg, 'main.js')], env, INTENT);
  const ping = () => timeCommand(process.execPath, [cli, 'ping'], env);
  const samples: [number[], number[], number[]] = [[], [], []];
  for (let i = 0; i < runs + 3; i += 1) {
    const round = [intent, byHand, ping].map((command) => {
      waitUntilQuiet(daemonPid);
      return command();
    });
    if (i >= 3) round.forEach((ms, k) => samples[k]!.push(ms));
  }
  const [subject, baseline, floor] = samples.map((s) => percentile(s, 50)) as [number, number, number];
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
