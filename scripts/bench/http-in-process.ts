import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnDaemon } from '../../test/helpers/binaries.js';
import { waitFor } from '../../test/helpers/wait.js';
import { freePort } from '../harness/daemon.js';
import { alternatingThroughput } from './http-load.js';
import { answerHeaders, bareHonoServer, writeAnswerFiles } from './http-vs-ipc.js';
import { throughputRatio, type Ratio } from './stats.js';

const PRELOAD = fileURLToPath(new URL('./bare-route-preload.mjs', import.meta.url));

/**
 * Issue 15 item 4, what the 16-connection ratio is made of. A covenantd of its own is started
 * with the bench's bare route loaded into its process (`node --import`, bare-route-preload.mjs),
 * answering the very bytes its gateway answers. Three servers under autocannon at
 * `connections` keep-alive connections, in `rounds` rounds of one `sliceMs` slice each, the
 * order rotating every round: that covenantd's `GET /tools`, the bare route inside the same
 * process, and the bare route in its own process. Two ratios: the in-process route against its
 * own process (what covenantd's process costs a route before any check of the gateway), and the
 * gateway against the in-process route (what the gateway's own code costs, in the same process).
 */
export async function benchHttpInProcess(sharedUrl: string, sharedToken: string, env: NodeJS.ProcessEnv, dir: string, connections = 16, sliceMs = 500, rounds = 20): Promise<Ratio[]> {
  const routeDir = join(dir, 'in-process-route');
  mkdirSync(routeDir, { recursive: true });
  const auth = { authorization: `Bearer ${sharedToken}` };
  const sharedAnswer = await fetch(`${sharedUrl}/tools`, { headers: auth });
  if (sharedAnswer.status !== 200) throw new Error(`GET /tools answered ${sharedAnswer.status}`);
  await writeAnswerFiles(sharedAnswer, routeDir);

  const home = join(dir, 'in-process-home');
  const port = await freePort();
  const daemonEnv = { ...env, COVENANT_HOME: home, COVENANT_HTTP_PORT: String(port), BENCH_BARE_ROUTE_DIR: routeDir };
  const daemon = await spawnDaemon(home, daemonEnv, [], undefined, ['--import', PRELOAD]);
  const bare = await bareHonoServer(routeDir);
  try {
    const portFile = join(routeDir, 'in-process.port');
    if (!(await waitFor(() => existsSync(portFile)))) throw new Error('the bare route in covenantd did not start (no in-process.port)');
    const token = readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim();
    const gatewayTools = new URL(`http://127.0.0.1:${port}/tools`);
    const tokenAuth = { authorization: `Bearer ${token}` };
    await sameAnswer(gatewayTools, tokenAuth, routeDir);
    const portOfRoute = readFileSync(portFile, 'utf8');
    // Every side is sent the same request bytes (the bare routes ignore the token).
    const [gateway, inProcess, ownProcess] = alternatingThroughput(
      [gatewayTools, new URL(`http://127.0.0.1:${portOfRoute}/tools`), new URL(`${bare.url}/tools`)].map((url) => ({ url, headers: tokenAuth })),
      connections,
      sliceMs,
      rounds,
    ) as [number, number, number];
    const slices = `${connections} keep-alive connections, autocannon (${rounds} rounds of one ${sliceMs}-ms slice each, the three servers in rotating order)`;
    return [
      throughputRatio(
        {
          name: `bare hono route inside covenantd's process vs in its own process, ${slices}`,
          subject: "the bench's bare route loaded into covenantd (node --import), beside its gateway",
          baseline: 'the same bare route in its own process',
        },
        inProcess,
        ownProcess,
        "reported (what covenantd's process costs a route before any check: the floor under the 16-connection row)",
      ),
      throughputRatio(
        {
          name: `GET /tools vs the bare route inside the same covenantd process, ${slices}`,
          subject: 'HTTP gateway GET /tools (auth, rate limit, capability check, executeRequest)',
          baseline: 'the bare route inside the same covenantd process',
        },
        gateway,
        inProcess,
        "reported (what the gateway's own code costs)",
      ),
    ];
  } finally {
    await bare.stop();
    await daemon.stop();
  }
}

/** Throws unless this covenantd's gateway answers the bytes the bare routes send (body and header lines). */
async function sameAnswer(url: URL, auth: Record<string, string>, routeDir: string): Promise<void> {
  const answer = await fetch(url, { headers: auth });
  if (answer.status !== 200) throw new Error(`GET /tools answered ${answer.status}`);
  const headers = JSON.stringify(answerHeaders(answer));
  const body = await answer.text();
  if (body !== readFileSync(join(routeDir, 'tools-answer.json'), 'utf8') || headers !== readFileSync(join(routeDir, 'tools-answer-headers.json'), 'utf8')) {
    throw new Error("the in-process bench's covenantd answers GET /tools with other bytes than the bare routes send");
  }
}
