import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { httpGet, keepAliveAgent, requestsPerSecond } from './http-load.js';
import { alternateBatches, latencyRatio, percentile, type Ratio } from './stats.js';

/** The bare hono server in its own process, serving `body` at `GET /tools`; its URL and how to stop it. */
async function bareHonoServer(bodyFile: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./bare-hono-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (data: Buffer) => resolve(data.toString().trim())));
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { url: `http://127.0.0.1:${port}`, stop };
}

/**
 * Issue 15 item 4. Throughput of the gateway's `GET /tools` against a bare hono route on
 * @hono/node-server answering the same bytes, at 1 and 16 keep-alive connections, the two
 * alternating in `rounds` slices of `sliceMs` each (target ≥ 0.9); then `GET /tools` p50
 * against IPC `tools_list`, with a raw node:http keep-alive client (the target, ≤ 1.5) and
 * with fetch (reported: fetch alone costs a few tenths of a ms on the client).
 */
export async function benchHttpVsIpc(sock: string, baseUrl: string, token: string, dir: string, count = 2000, sliceMs = 1000, rounds = 5): Promise<Ratio[]> {
  const auth = { authorization: `Bearer ${token}` };
  const gatewayTools = new URL(`${baseUrl}/tools`);
  const answer = await fetch(gatewayTools, { headers: auth });
  if (answer.status !== 200) throw new Error(`GET /tools answered ${answer.status}`);
  const bodyFile = join(dir, 'tools-answer.json');
  writeFileSync(bodyFile, await answer.text());
  const bare = await bareHonoServer(bodyFile);
  const bareTools = new URL(`${bare.url}/tools`);
  const ratios: Ratio[] = [];
  try {
    for (const connections of [1, 16]) {
      const gatewayAgent = keepAliveAgent(connections);
      const bareAgent = keepAliveAgent(connections);
      await requestsPerSecond(gatewayAgent, gatewayTools, auth, connections, sliceMs); // warm-up
      await requestsPerSecond(bareAgent, bareTools, {}, connections, sliceMs);
      const gateway: number[] = [];
      const baseline: number[] = [];
      for (let round = 0; round < rounds; round += 1) {
        gateway.push(await requestsPerSecond(gatewayAgent, gatewayTools, auth, connections, sliceMs));
        baseline.push(await requestsPerSecond(bareAgent, bareTools, {}, connections, sliceMs));
      }
      gatewayAgent.destroy();
      bareAgent.destroy();
      const subject = percentile(gateway, 50);
      const base = percentile(baseline, 50);
      ratios.push({
        name: `GET /tools throughput, ${connections} keep-alive connection(s) (median of ${rounds} × ${sliceMs} ms)`,
        subject: 'HTTP gateway GET /tools (auth, rate limit, capability check, executeRequest)',
        baseline: 'bare hono route on @hono/node-server answering the same bytes',
        subjectValue: subject,
        baselineValue: base,
        unit: 'req/s',
        ratio: subject / base,
        target: '>= 0.9',
        met: subject / base >= 0.9,
      });
    }
  } finally {
    await bare.stop();
  }

  const client = await IpcClient.connect(sock);
  await client.authenticate(token);
  const overSocket = async () => {
    const reply = await client.request({ kind: 'tools_list' });
    if (reply.kind !== 'tool_list') throw new Error(`socket answered ${reply.kind}`);
  };
  const agent = keepAliveAgent(1);
  const overRawHttp = () => httpGet(agent, gatewayTools, auth);
  const overFetch = async () => {
    const response = await fetch(gatewayTools, { headers: auth });
    if (response.status !== 200) throw new Error(`GET /tools answered ${response.status}`);
    await response.json();
  };
  const [ipcRaw, raw] = await alternateBatches(overSocket, overRawHttp, count, 200);
  const [ipcFetch, viaFetch] = await alternateBatches(overSocket, overFetch, count, 200);
  client.close();
  agent.destroy();
  ratios.push(
    latencyRatio(
      { name: 'GET /tools (raw node:http keep-alive client) vs tools_list over the socket (p50)', subject: 'HTTP gateway GET /tools, node:http client', baseline: 'IPC tools_list' },
      percentile(raw, 50),
      percentile(ipcRaw, 50),
      1.5,
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
