import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpcClient } from '../../src/ipc/index.js';
import { bwrapCommand, detectBwrapHost, locateBwrap } from '../../src/runtime/bwrap/index.js';
import { latencyRatio, msSince, percentile, type Ratio } from './stats.js';

const INTENT = `${JSON.stringify({ intent_id: '00000000-0000-4000-8000-000000000000', text: 'hello bench' })}\n`;

/** Installs a copy of the reference `hello` agent under `id` on `backend`, without a warm process. */
function installHello(repo: string, cli: string, env: NodeJS.ProcessEnv, scratch: string, id: string, backend: string): void {
  const pkg = join(scratch, id);
  cpSync(join(repo, 'agents', 'hello'), pkg, { recursive: true });
  const manifest = readFileSync(join(pkg, 'agent.toml'), 'utf8')
    .replace('id = "hello"', `id = "${id}"`)
    .replace('warm = true', 'warm = false')
    .replace('required = false', `required = false\nbackend = "${backend}"`);
  writeFileSync(join(pkg, 'agent.toml'), manifest);
  const install = spawnSync(process.execPath, [cli, 'agents', 'install', pkg, '--json'], { env, encoding: 'utf8' });
  if (install.status !== 0) throw new Error(`agents install ${id} failed: ${install.stdout}${install.stderr}`);
}

/**
 * The same intent dispatched through covenantd (submit_intent over the socket) to `hello` under
 * bwrap vs `hello` as trusted-local, alternating. Both without warm processes, so each dispatch
 * starts its agent: this is what bwrap adds to a start, the case where it costs most.
 */
export async function benchBwrapDispatch(
  repo: string,
  cli: string,
  env: NodeJS.ProcessEnv,
  daemonSock: string,
  token: string,
  scratch: string,
  runs = 30,
): Promise<Ratio[] | string> {
  if (locateBwrap(env.PATH) === null) return 'bwrap dispatch: skipped (needs bubblewrap: apt-get install bubblewrap; see docs/bwrap-runner.md)';
  installHello(repo, cli, env, scratch, 'hello-bwrap', 'linux-bwrap');
  installHello(repo, cli, env, scratch, 'hello-trusted-cold', 'trusted-local');
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
    latencyRatio(
      {
        name: 'bwrap dispatch vs trusted-local dispatch (p50, agent started per intent)',
        subject: 'submit_intent to hello under linux-bwrap',
        baseline: 'submit_intent to hello as trusted-local',
      },
      percentile(bwrap, 50),
      percentile(trusted, 50),
      1.1,
    ),
    bwrapFloor(join(scratch, 'hello-bwrap'), env, runs),
  ];
}

/**
 * What bwrap itself adds to one start of the agent, with no daemon: `hello` run by hand under
 * the bwrap command line covenantd uses for it vs run by hand (reported: the floor under the
 * bwrap dispatch ratio, docs/performance.md "Dispatch").
 */
function bwrapFloor(pkg: string, env: NodeJS.ProcessEnv, runs: number): Ratio {
  const launch = { agentId: 'hello-bwrap', packageDir: pkg, entry: 'main.js', runtime: 'node' as const, memoryMb: 64, profile: { network: 'off' as const, envNames: [] }, env: {}, python3Command: 'python3' };
  const sandboxed = bwrapCommand(launch, detectBwrapHost(env.PATH));
  const run = (command: string, args: string[], runEnv: NodeJS.ProcessEnv, cwd?: string) => {
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { env: runEnv, cwd, input: INTENT, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} exited ${result.status}: ${result.stderr}`);
    return msSince(start);
  };
  const underBwrap: number[] = [];
  const byHand: number[] = [];
  for (let i = 0; i < runs + 3; i += 1) {
    const a = run(sandboxed.command, sandboxed.args, sandboxed.env, sandboxed.cwd);
    const b = run(process.execPath, ['--max-old-space-size=64', join(pkg, 'main.js')], env);
    if (i >= 3) {
      underBwrap.push(a);
      byHand.push(b);
    }
  }
  return latencyRatio(
    {
      name: 'the floor under the bwrap ratio: the agent by hand under bwrap vs by hand (p50)',
      subject: "node agents/hello/main.js < intent.json inside covenantd's bwrap command line",
      baseline: 'node agents/hello/main.js < intent.json',
    },
    percentile(underBwrap, 50),
    percentile(byHand, 50),
    'reported',
  );
}
