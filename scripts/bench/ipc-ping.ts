import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { pinToCpu } from './cpu-affinity.js';
import { alternateAll, latencyRatio, percentile, type Ratio } from './stats.js';

/** The echo server runs in its own process, as covenantd does, so both sides cross a process boundary. */
async function bareEchoServer(path: string): Promise<{ pid: number; stop: () => Promise<void> }> {
  const script = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const stop = () =>
    new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  return { pid: child.pid!, stop };
}

/**
 * Authenticated ping to covenantd vs a bare Unix-socket echo server with the same framing, beside
 * a control: a second echo server in the same alternation, what the ratio reads in this run when
 * there is nothing to tell apart. The client (this process) and the three servers share one vCPU
 * while they are measured (`pinToCpu`), in `rounds` short batches whose order rotates.
 */
export async function benchIpcPing(daemonSock: string, daemonPid: number, token: string, scratchDir: string, count = 20000, rounds = 100): Promise<Ratio[]> {
  const echoServer = await bareEchoServer(`${scratchDir}/echo.sock`);
  const twinServer = await bareEchoServer(`${scratchDir}/echo-twin.sock`);
  const daemon = await IpcClient.connect(daemonSock);
  await daemon.authenticate(token);
  const echo = await IpcClient.connect(`${scratchDir}/echo.sock`);
  const twin = await IpcClient.connect(`${scratchDir}/echo-twin.sock`);
  const unpin = pinToCpu([process.pid, daemonPid, echoServer.pid, twinServer.pid], availableParallelism() - 1);
  let samples: number[][];
  try {
    samples = await alternateAll(
      [() => daemon.request({ kind: 'ping' }), () => echo.request({ kind: 'ping' }), () => twin.request({ kind: 'ping' })],
      count,
      300,
      rounds,
    );
  } finally {
    unpin();
    daemon.close();
    echo.close();
    twin.close();
    await echoServer.stop();
    await twinServer.stop();
  }
  const [daemonSamples, echoSamples, twinSamples] = samples as [number[], number[], number[]];
  const baseline = 'bare Node echo server, same framing';
  return [
    latencyRatio({ name: 'ipc ping round trip, client and servers on one vCPU (p50)', subject: 'covenantd authenticated ping', baseline }, percentile(daemonSamples, 50), percentile(echoSamples, 50), 1.3),
    latencyRatio(
      { name: 'the same echo server in a second process, in the same alternation (what a ratio reads with nothing to tell apart, p50)', subject: 'a second process of the echo server', baseline },
      percentile(twinSamples, 50),
      percentile(echoSamples, 50),
      'reported (the spread of the row above in this run)',
    ),
  ];
}
