import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DAEMON_BIN } from '../../test/helpers/binaries.js';
import { sleep } from '../../test/helpers/wait.js';
import { freePort } from '../harness/daemon.js';
import { callgrindArgs, callgrindInstalled, countSteadyState, type CallgrindTotals } from './callgrind.js';
import { bareHonoServer, writeAnswerFiles } from './http-vs-ipc.js';
import { RawHttpClient } from './raw-http-client.js';
import { latencyRatio, type Ratio } from './stats.js';

/** valgrind runs node some 50 times slower: start-up takes tens of seconds. */
const START_DEADLINE_MS = 600_000;

/** `requests` GETs of `url`, spread over `connections` keep-alive connections each sending one at a time. */
async function load(url: URL, headers: Record<string, string>, requests: number, connections: number): Promise<void> {
  const clients = await Promise.all(Array.from({ length: connections }, () => RawHttpClient.connect(url, headers)));
  try {
    await Promise.all(
      clients.map(async (client) => {
        for (let i = 0; i < requests / connections; i += 1) await client.get();
      }),
    );
  } finally {
    for (const client of clients) client.close();
  }
}

/**
 * Waits (covenantd under valgrind is slow to start) for its operator token in `home`, then for
 * `url` to answer 200 with it; the `Authorization` header of that token.
 */
async function answering(home: string, url: URL, exited: () => boolean): Promise<Record<string, string>> {
  const tokenFile = join(home, 'peers', 'operator.token');
  const deadline = Date.now() + START_DEADLINE_MS;
  while (Date.now() < deadline && !exited()) {
    if (existsSync(tokenFile)) {
      const headers = { authorization: `Bearer ${readFileSync(tokenFile, 'utf8').trim()}` };
      try {
        if ((await fetch(url, { headers })).status === 200) return headers;
      } catch {
        // not listening yet
      }
    }
    await sleep(250);
  }
  throw new Error(`covenantd under valgrind did not answer GET ${url.pathname} (${exited() ? 'it exited' : 'deadline passed'})`);
}

/** Per request, the simulated first-level cache misses and mispredicted branches: what costs time beyond the instructions. */
function stalls(totals: CallgrindTotals): number {
  return ['I1mr', 'D1mr', 'D1mw', 'Bcm', 'Bim'].reduce((sum, event) => sum + (totals[event] ?? 0), 0);
}

/**
 * Issue 15 item 4, counted instead of timed. covenantd's `GET /tools` and the bench's bare hono
 * route (answering the same bytes), each in its own process under callgrind; `requests` at
 * `connections` keep-alive connections after `warmup` uncounted ones, counted as a steady state
 * (callgrind.ts). Two rows: instructions per request, and simulated cache misses plus
 * mispredicted branches per request. Neither moves with the machine's load, unlike the
 * throughput rows; skipped without valgrind.
 */
export async function benchHttpInstructions(env: NodeJS.ProcessEnv, dir: string, requests = 3200, connections = 16, warmup = 4000): Promise<Ratio[] | string> {
  if (!callgrindInstalled()) return 'GET /tools instructions: skipped (needs valgrind with callgrind_control on PATH: apt-get install valgrind)';
  const work = join(dir, 'http-instructions');
  mkdirSync(work, { recursive: true });
  const home = join(work, 'home');
  const port = await freePort();
  const daemonOut = join(work, 'callgrind.covenantd');
  const daemon = spawn('valgrind', [...callgrindArgs(daemonOut), process.execPath, DAEMON_BIN, '--home', home], {
    env: { ...env, COVENANT_HOME: home, COVENANT_HTTP_PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
  const bareOut = join(work, 'callgrind.bare');
  let bare: Awaited<ReturnType<typeof bareHonoServer>> | null = null;
  try {
    const gatewayTools = new URL(`http://127.0.0.1:${port}/tools`);
    const auth = await answering(home, gatewayTools, () => daemon.exitCode !== null);
    await writeAnswerFiles(await fetch(gatewayTools, { headers: auth }), work);
    bare = await bareHonoServer(work, ['valgrind', ...callgrindArgs(bareOut)]);
    const bareTools = new URL(`${bare.url}/tools`);

    const count = async (pid: number, outFile: string, url: URL) => {
      await load(url, auth, warmup, connections);
      return countSteadyState(pid, outFile, () => load(url, auth, requests, connections));
    };
    const gateway = await count(daemon.pid!, daemonOut, gatewayTools);
    const baseline = await count(bare.pid, bareOut, bareTools);
    const per = (totals: CallgrindTotals, value: (t: CallgrindTotals) => number) => value(totals) / requests;
    const how = `callgrind, ${requests} requests at ${connections} keep-alive connections after ${warmup + requests} uncounted`;
    return [
      latencyRatio(
        {
          name: `GET /tools instructions per request (${how})`,
          subject: 'covenantd: HTTP gateway GET /tools, every thread of the process',
          baseline: 'bare hono route on @hono/node-server answering the same bytes, every thread of its process',
        },
        per(gateway, (t) => t.Ir ?? 0),
        per(baseline, (t) => t.Ir ?? 0),
        'reported (the work of the code, whatever the load of the machine)',
        'instructions',
      ),
      latencyRatio(
        {
          name: 'GET /tools simulated first-level cache misses and mispredicted branches per request (same run; last level sized as this L2, 2.5 MiB)',
          subject: 'covenantd: HTTP gateway GET /tools (I1 + D1 misses + mispredicted branches)',
          baseline: 'bare hono route (I1 + D1 misses + mispredicted branches)',
        },
        per(gateway, stalls),
        per(baseline, stalls),
        'reported (what costs the gateway time beyond its instructions)',
        'events',
      ),
    ];
  } finally {
    await bare?.stop();
    if (daemon.exitCode === null) daemon.kill('SIGTERM');
    await exited;
  }
}
