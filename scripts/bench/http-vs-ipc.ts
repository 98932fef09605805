import { IpcClient } from '../../src/ipc/index.js';
import { percentile, type Ratio } from './stats.js';

async function timeIt(run: () => Promise<void>, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

/** `GET /tools` on the gateway (keep-alive) vs `tools_list` over the socket, p50. */
export async function benchHttpVsIpc(sock: string, baseUrl: string, token: string, count = 1000): Promise<Ratio> {
  const client = await IpcClient.connect(sock);
  await client.authenticate(token);
  const overSocket = async () => {
    const reply = await client.request({ kind: 'tools_list' });
    if (reply.kind !== 'tool_list') throw new Error(`socket answered ${reply.kind}`);
  };
  const overHttp = async () => {
    const response = await fetch(`${baseUrl}/tools`, { headers: { authorization: `Bearer ${token}` } });
    if (response.status !== 200) throw new Error(`GET /tools answered ${response.status}`);
    await response.json();
  };
  await timeIt(overSocket, 100);
  await timeIt(overHttp, 100);
  const ipc: number[] = [];
  const http: number[] = [];
  for (let round = 0; round < 10; round += 1) {
    ipc.push(...(await timeIt(overSocket, count / 10)));
    http.push(...(await timeIt(overHttp, count / 10)));
  }
  client.close();
  const subject = percentile(http, 50);
  const baseline = percentile(ipc, 50);
  return {
    name: 'GET /tools over HTTP vs tools_list over the socket (p50)',
    subject: 'HTTP gateway GET /tools',
    baseline: 'IPC tools_list',
    subjectValue: subject,
    baselineValue: baseline,
    unit: 'ms',
    ratio: subject / baseline,
    target: 'reported (no target set)',
    met: true,
  };
}
