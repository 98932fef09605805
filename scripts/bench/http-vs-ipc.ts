import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { httpGet, keepAliveAgent, requestsPerSecond } from './http-load.js';
import { RawHttpClient } from './raw-http-client.js';
import { cpuTicks } from './idle.js';
import { alternateBatches, latencyRatio, percentile, turnOrder, type Ratio } from './stats.js';

/** Header lines node's server writes itself; every other one of the gateway's answer, the bare server sends too. */
const WRITTEN_BY_NODE = new Set(['content-length', 'date', 'connection', 'keep-alive']);

/** Writes the gateway's `answer` (body, and the header lines node does not write itself) where the bare route reads them. */
export async function writeAnswerFiles(answer: Response, dir: string): Promise<void> {
  writeFileSync(join(dir, 'tools-answer.json'), await answer.text());
  writeFileSync(join(dir, 'tools-answer-headers.json'), JSON.stringify(answerHeaders(answer)));
}

/** The header lines of an answer that the bare route sends too. */
export function answerHeaders(answer: Response): Record<string, string> {
  return Object.fromEntries([...answer.headers].filter(([name]) => !WRITTEN_BY_NODE.has(name)));
}

/** The bare hono server in its own process, answering `GET /tools` with the files of `writeAnswerFiles` in `dir`; its URL and how to stop it. */
export async function bareHonoServer(dir: string): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./bare-hono-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, join(dir, 'tools-answer.json'), join(dir, 'tools-answer-headers.json')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (data: Buffer) => resolve(data.toString().trim())));
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS_PER_SECOND = 100;
/** Requests per CPU measurement: at 40–100 µs each, 20–50 ticks of 10 ms. */
const CPU_REQUESTS = 5000;

/**
 * CPU time (user + system) the server process spends per `GET /tools`, over `count` requests
 * on one keep-alive connection: what the throughput ratio is made of, and much steadier than
 * it on a loaded machine (it does not count the time spent waiting for a core).
 */
async function cpuPerRequest(pid: number, client: RawHttpClient, count: number): Promise<number> {
  const before = cpuTicks(pid);
  for (let i = 0; i < count; i += 1) await client.get();
  return (((cpuTicks(pid) - before) / TICKS_PER_SECOND) * 1e6) / count;
}

/**
 * Issue 15 item 4. Throughput of the gateway's `GET /tools` against a bare hono route on
 * @hono/node-server sent the same request bytes (the bearer token too) and answering the same
 * bytes, under autocannon at 1 and 16 keep-alive
 * connections, the two alternating in `rounds` slices of `sliceMs` each (target ≥ 0.9); then
 * `GET /tools` p50 against IPC `tools_list`, with a raw HTTP client (request bytes written to
 * a socket, the answer read by its Content-Length: the target, ≤ 1.5), and reported beside it
 * with node:http's client and with fetch, whose own cost on the caller's side is in their figures.
 */
export async function benchHttpVsIpc(sock: string, daemonPid: number, baseUrl: string, token: string, dir: string, count = 2000, sliceMs = 1000, rounds = 9): Promise<Ratio[]> {
  const auth = { authorization: `Bearer ${token}` };
  const gatewayTools = new URL(`${baseUrl}/tools`);
  const answer = await fetch(gatewayTools, { headers: auth });
  if (answer.status !== 200) throw new Error(`GET /tools answered ${answer.status}`);
  await writeAnswerFiles(answer, dir);
  const bare = await bareHonoServer(dir);
  const bareTools = new URL(`${bare.url}/tools`);
  const ratios: Ratio[] = [];
  try {
    for (const connections of [1, 16]) {
      requestsPerSecond(gatewayTools, auth, connections, sliceMs); // warm-up
      requestsPerSecond(bareTools, auth, connections, sliceMs);
      const gateway: number[] = [];
      const baseline: number[] = [];
      for (let round = 0; round < rounds; round += 1) {
        // Each side goes first in every other round, so neither always runs after the other's slice.
        const measureGateway = () => gateway.push(requestsPerSecond(gatewayTools, auth, connections, sliceMs));
        const measureBare = () => baseline.push(requestsPerSecond(bareTools, auth, connections, sliceMs));
        for (const i of turnOrder(2, round)) [measureGateway, measureBare][i]!();
      }
      const subject = percentile(gateway, 50);
      const base = percentile(baseline, 50);
      ratios.push({
        name: `GET /tools throughput, autocannon, ${connections} keep-alive connection(s) (median of ${rounds} × ${sliceMs} ms)`,
        subject: 'HTTP gateway GET /tools (auth, rate limit, capability check, executeRequest)',
        baseline: 'bare hono route on @hono/node-server, sent the same request and answering the same bytes (body and header lines)',
        subjectValue: subject,
        baselineValue: base,
        unit: 'req/s',
        ratio: subject / base,
        target: '>= 0.9',
        met: subject / base >= 0.9,
      });
    }
    const gatewayClient = await RawHttpClient.connect(gatewayTools, auth);
    const bareClient = await RawHttpClient.connect(bareTools, auth);
    const gateway: number[] = [];
    const baseline: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      const measureGateway = async () => gateway.push(await cpuPerRequest(daemonPid, gatewayClient, CPU_REQUESTS));
      const measureBare = async () => baseline.push(await cpuPerRequest(bare.pid, bareClient, CPU_REQUESTS));
      for (const i of turnOrder(2, round)) await [measureGateway, measureBare][i]!();
    }
    gatewayClient.close();
    bareClient.close();
    ratios.push(
      latencyRatio(
        { name: `GET /tools server CPU time per request, raw client, 1 keep-alive connection (median of ${rounds} × ${CPU_REQUESTS})`, subject: 'covenantd (user + system)', baseline: 'bare hono server (user + system)' },
        percentile(gateway, 50) / 1000,
        percentile(baseline, 50) / 1000,
        'reported (what the throughput ratio is made of)',
      ),
    );
  } finally {
    await bare.stop();
  }

  const client = await IpcClient.connect(sock);
  await client.authenticate(token);
  const overSocket = async () => {
    const reply = await client.request({ kind: 'tools_list' });
    if (reply.kind !== 'tool_list') throw new Error(`socket answered ${reply.kind}`);
  };
  const rawClient = await RawHttpClient.connect(gatewayTools, auth);
  const overRawHttp = () => rawClient.get();
  const agent = keepAliveAgent(1);
  const overNodeHttp = () => httpGet(agent, gatewayTools, auth);
  const overFetch = async () => {
    const response = await fetch(gatewayTools, { headers: auth });
    if (response.status !== 200) throw new Error(`GET /tools answered ${response.status}`);
    await response.json();
  };
  const [ipcRaw, raw] = await alternateBatches(overSocket, overRawHttp, count, 200);
  const [ipcNode, viaNode] = await alternateBatches(overSocket, overNodeHttp, count, 200);
  const [ipcFetch, viaFetch] = await alternateBatches(overSocket, overFetch, count, 200);
  client.close();
  rawClient.close();
  agent.destroy();
  ratios.push(
    latencyRatio(
      { name: 'GET /tools (raw HTTP client, keep-alive) vs tools_list over the socket (p50)', subject: 'HTTP gateway GET /tools, request bytes on a socket', baseline: 'IPC tools_list' },
      percentile(raw, 50),
      percentile(ipcRaw, 50),
      1.5,
    ),
    latencyRatio(
      { name: 'GET /tools (node:http client, keep-alive) vs tools_list over the socket (p50)', subject: 'HTTP gateway GET /tools, node:http client', baseline: 'IPC tools_list' },
      percentile(viaNode, 50),
      percentile(ipcNode, 50),
      'reported (with what node:http\'s client costs its caller)',
    ),
    latencyRatio(
      { name: 'GET /tools (fetch, keep-alive) vs tools_list over the socket (p50)', subject: 'HTTP gateway GET /tools, fetch client', baseline: 'IPC tools_list' },
      percentile(viaFetch, 50),
      percentile(ipcFetch, 50),
      'reported (the target uses the raw client)',
    ),
  );
  return ratios;
}
