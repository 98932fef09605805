import { join } from 'node:path';
import { IpcClient } from '../../src/ipc/index.js';
import { bwrapCommand, detectBwrapHost, locateBwrap } from '../../src/runtime/bwrap/index.js';
import { latencyRatio, msSince, p50Pair, percentile, type Ratio } from './stats.js';
import { waitUntilQuiet } from './quiet.js';
import { installHello } from './hello-agent.js';
import { INTENT_BY_HAND as INTENT, timeCommand } from './timed-command.js';

/**
 * Issue 15 item 2 for bwrap: `covenant intent` (daemon + CLI, whole process) to `hello` under
 * bwrap with its warm process (the manifest's default), against the agent run by hand (target
 * 1.1, as for trusted-local). Then, reported: the same intent dispatched through covenantd
 * (submit_intent over the socket) to `hello` under bwrap vs as trusted-local, both without warm
 * processes, so each dispatch starts its agent: what bwrap adds to a start, the case where it
 * costs most, bounded below by bwrap's own start (the floor row).
 */
export async function benchBwrapDispatch(
  repo: string,
  cli: string,
  env: NodeJS.ProcessEnv,
  daemonSock: string,
  daemonPid: number,
  token: string,
  scratch: string,
  runs = 30,
): Promise<Ratio[] | string> {
  if (locateBwrap(env.PATH) === null) return 'bwrap dispatch: skipped (needs bubblewrap: apt-get install bubblewrap; see docs/bwrap-runner.md)';
  const cold = installHello(repo, cli, env, scratch, { id: 'hello-bwrap', backend: 'linux-bwrap', warm: false });
  installHello(repo, cli, env, scratch, { id: 'hello-trusted-cold', backend: 'trusted-local', warm: false });
  const warmPkg = installHello(repo, cli, env, scratch, { id: 'hello-bwrap-warm', backend: 'linux-bwrap', warm: true });
  const warm = warmBwrapDispatch(cli, env, daemonPid, warmPkg, runs);
  const client = await IpcClient.connect(daemonSock, { timeoutMs: 60_000 });
  await client.authenticate(token);
  const dispatch = async (agent: string): Promise<number> => {
    const start = process.hrtime.bigint();
    const reply = await client.request({ kind: 'submit_intent', text: 'hello bench', agent });
    const ms = msSince(start);
    if (reply.status !== 'ok') throw new Error(`dispatch to ${agent}: ${JSON.stringify(reply)}`);
    return ms;
  };
  const bwrap: number[] = [];
  const trusted: number[] = [];
  try {
    for (let i = 0; i < 3; i += 1) {
      await dispatch('hello-bwrap');
      await dispatch('hello-trusted-cold');
    }
    for (let i = 0; i < runs; i += 1) {
      bwrap.push(await dispatch('hello-bwrap'));
      trusted.push(await dispatch('hello-trusted-cold'));
    }
  } finally {
    client.close();
  }
  return [
    warm,
    latencyRatio(
      {
        name: 'bwrap dispatch vs trusted-local dispatch (p50, agent started per intent)',
        subject: 'submit_intent to hello under linux-bwrap',
        baseline: 'submit_intent to hello as trusted-local',
      },
      percentile(bwrap, 50),
      percentile(trusted, 50),
      'reported (bounded by the floor below)',
    ),
    bwrapFloor(cold, env, runs),
  ];
}

/**
 * `covenant intent --agent hello-bwrap-warm` vs `node main.js < intent.json`, alternating (3
 * untimed pairs first), each started once covenantd and its children are idle.
 */
function warmBwrapDispatch(cli: string, env: NodeJS.ProcessEnv, daemonPid: number, pkg: string, runs: number): Ratio {
  const [dispatched, byHand] = p50Pair(
    runs,
    3,
    () => {
      waitUntilQuiet(daemonPid);
      return timeCommand(process.execPath, [cli, 'intent', '--agent', 'hello-bwrap-warm', 'hello', 'bench'], env);
    },
    () => {
      waitUntilQuiet(daemonPid);
      return timeCommand(process.execPath, [join(pkg, 'main.js')], env, INTENT);
    },
  );
  return latencyRatio(
    {
      name: 'intent dispatch, bwrap with its warm agent (p50, whole process)',
      subject: 'covenant intent --agent hello under linux-bwrap, warm = true (daemon + CLI)',
      baseline: 'node agents/hello/main.js < intent.json',
    },
    dispatched,
    byHand,
    1.1,
  );
}

/**
 * What bwrap itself adds to one start of the agent, with no daemon: `hello` run by hand under
 * the bwrap command line covenantd uses for it vs run by hand (reported: the floor under the
 * bwrap dispatch ratio, docs/performance.md "Dispatch").
 */
function bwrapFloor(pkg: string, env: NodeJS.ProcessEnv, runs: number): Ratio {
  const launch = { agentId: 'hello-bwrap', packageDir: pkg, entry: 'main.js', runtime: 'node' as const, memoryMb: 64, profile: { network: 'off' as const, envNames: [] }, env: {}, python3Command: 'python3' };
  const sandboxed = bwrapCommand(launch, detectBwrapHost(env.PATH));
  const [underBwrap, byHand] = p50Pair(
    runs,
    3,
    () => timeCommand(sandboxed.command, sandboxed.args, sandboxed.env, INTENT, sandboxed.cwd),
    () => timeCommand(process.execPath, ['--max-old-space-size=64', join(pkg, 'main.js')], env, INTENT),
  );
  return latencyRatio(
    {
      name: 'the floor under the bwrap ratio: the agent by hand under bwrap vs by hand (p50)',
      subject: "node agents/hello/main.js < intent.json inside covenantd's bwrap command line",
      baseline: 'node agents/hello/main.js < intent.json',
    },
    underBwrap,
    byHand,
    'reported',
  );
}
