import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { alternatingThroughput, httpGet, keepAliveAgent } from './http-load.js';
import { RawHttpClient } from './raw-http-client.js';
import { cpuNanoseconds } from './idle.js';
import { alternateBatches, latencyRatio, percentile, throughputRatio, turnOrder, type Ratio } from './stats.js';

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

/**
 * The bare hono server in its own process, answering `GET /tools` with the files of
 * `writeAnswerFiles` in `dir`; its URL and how to stop it. `under`: a program and its arguments
 * that run node (valgrind, for the instruction counts); the pid is then that program's.
 */
export async function bareHonoServer(dir: string, under: string[] = []): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./bare-hono-server.mjs', import.meta.url));
  const argv = [...under, process.execPath, script, join(dir, 'tools-answer.json'), join(dir, 'tools-answer-headers.json')];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (data: Buffer) => resolve(data.toString().trim())));
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}

/** Requests per CPU measurement: a few tens of ms, far shorter than a vCPU's change of speed. */
const CPU_REQUESTS = 1000;

/**
 * CPU time the server process spends per `GET /tools` (µs), over `count` requests on one
 * keep-alive connection: what the throughput ratio is made of, and much steadier than it on a
 * loaded machine (it does not count the time spent waiting for a core).
 */
async function cpuPerRequest(pid: number, client: RawHttpClient, count: number): Promise<number> {
  const before = cpuNanoseconds(pid);
  for (let i = 0; i < count; i += 1) await client.get();
  return (cpuNanoseconds(pid) - before) / 1000 / count;
}

/**
 * Issue 15 item 4. Throughput of the gateway's `GET /tools` against a bare hono route on
 * @hono/node-server sent the same request bytes (the bearer token too) and answering the same
 * bytes, under autocannon at 1 and 16 keep-alive connections, the two taking turns in
 * `sliceRounds` rounds of one `sliceMs` slice each (target ≥ 0.9); the server CPU per request
 * of each, `rounds` alternating batches; then
 * `GET /tools` p50 against IPC `tools_list`, with a raw HTTP client (request bytes written to
 * a socket, the answer read by its Content-Length: the target, ≤ 1.5), and reported beside it
 * with node:http's client and with fetch, whose own cost on the caller's side is in their figures.
 */
export async function benchHttpVsIpc(sock: string, daemonPid: number, baseUrl: string, token: string, dir: string, count = 2000, sliceMs = 500, sliceRounds = 30, rounds = 31): Promise<Ratio[]> {
  const auth = { authorization: `Bearer ${token}` };
  const gatewayTools = new URL(`${baseUrl}/tools`);
  const answer = await fetch(gatewayTools, { headers: auth });
  if (answer.status !== 200) throw new Error(`GET /tools answered ${answer.status}`);
  await writeAnswerFiles(answer, dir);
  const bare = await bareHonoServer(dir);
  const twin = await bareHonoServer(dir);
  const bareTools = new URL(`${bare.url}/tools`);
  const ratios: Ratio[] = [];
  try {
    for (const connections of [1, 16]) {
      const [subject, base, same] = alternatingThroughput(
        [gatewayTools, bareTools, new URL(`${twin.url}/tools`)].map((url) => ({ url, headers: auth })),
        connections,
        sliceMs,
        sliceRounds,
      ) as [number, number, number];
      ratios.push(
        throughputRatio(
          {
            name: `GET /tools throughput, autocannon, ${connections} keep-alive connection(s) (${sliceRounds} alternating slices of ${sliceMs} ms each)`,
            subject: 'HTTP gateway GET /tools (auth, rate limit, capability check, executeRequest)',
            baseline: 'bare hono route on @hono/node-server, sent the same request and answering the same bytes (body and header lines)',
          },
          subject,
          base,
          0.9,
        ),
        throughputRatio(
          {
            name: `the same bare route in a second process, ${connections} keep-alive connection(s), in the same rotation (what a ratio reads with nothing to tell apart)`,
            subject: 'a second process of the bare route',
            baseline: 'the bare route of the row above',
          },
          same,
          base,
          'reported (the spread of the row above in this run)',
        ),
      );
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
        { name: `GET /tools server CPU time per request, raw client, 1 keep-alive connection (median of ${rounds} × ${CPU_REQUESTS})`, subject: 'covenantd (run time of its threads, schedstat)', baseline: 'bare hono server (run time of its threads, schedstat)' },
        percentile(gateway, 50) / 1000,
        percentile(baseline, 50) / 1000,
        'reported (what the throughput ratio is made of)',
      ),
    );
  } finally {
    await bare.stop();
    await twin.stop();
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
