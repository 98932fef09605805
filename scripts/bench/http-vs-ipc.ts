import { IpcClient } from '../../src/ipc/index.js';
import { alternateBatches, latencyRatio, percentile, type Ratio } from './stats.js';

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
  const [ipc, http] = await alternateBatches(overSocket, overHttp, count, 100);
  client.close();
  return latencyRatio(
    { name: 'GET /tools over HTTP vs tools_list over the socket (p50)', subject: 'HTTP gateway GET /tools', baseline: 'IPC tools_list' },
    percentile(http, 50),
    percentile(ipc, 50),
    'reported (no target set)',
  );
}
