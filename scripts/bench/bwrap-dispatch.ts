import { spawnSync } from 'node:child_process';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IpcClient } from '../../src/ipc/index.js';
import { locateBwrap } from '../../src/runtime/bwrap/index.js';
import { latencyRatio, msSince, percentile, type Ratio } from './stats.js';

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
): Promise<Ratio | string> {
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
  return latencyRatio(
    {
      name: 'bwrap dispatch vs trusted-local dispatch (p50, agent started per intent)',
      subject: 'submit_intent to hello under linux-bwrap',
      baseline: 'submit_intent to hello as trusted-local',
    },
    percentile(bwrap, 50),
    percentile(trusted, 50),
    1.1,
  );
}
