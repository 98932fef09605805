import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { alternateAll, latencyRatio, percentile, type Ratio } from './stats.js';

/** The echo server runs in its own process, as covenantd does, so both sides cross a process boundary. */
async function bareEchoServer(path: string): Promise<() => Promise<void>> {
  const script = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  return () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

/**
 * Authenticated ping to covenantd vs a bare Unix-socket echo server with the same framing, beside
 * a control: a second echo server in the same alternation, what the ratio reads in this run when
 * there is nothing to tell apart.
 */
export async function benchIpcPing(daemonSock: string, token: string, scratchDir: string, count = 3000): Promise<Ratio[]> {
  const stopEcho = await bareEchoServer(`${scratchDir}/echo.sock`);
  const stopTwin = await bareEchoServer(`${scratchDir}/echo-twin.sock`);
  const daemon = await IpcClient.connect(daemonSock);
  await daemon.authenticate(token);
  const echo = await IpcClient.connect(`${scratchDir}/echo.sock`);
  const twin = await IpcClient.connect(`${scratchDir}/echo-twin.sock`);
  const [daemonSamples, echoSamples, twinSamples] = (await alternateAll(
    [() => daemon.request({ kind: 'ping' }), () => echo.request({ kind: 'ping' }), () => twin.request({ kind: 'ping' })],
    count,
    300,
  )) as [number[], number[], number[]];
  daemon.close();
  echo.close();
  twin.close();
  await stopEcho();
  await stopTwin();
  const baseline = 'bare Node echo server, same framing';
  return [
    latencyRatio({ name: 'ipc ping round trip (p50)', subject: 'covenantd authenticated ping', baseline }, percentile(daemonSamples, 50), percentile(echoSamples, 50), 1.3),
    latencyRatio(
      { name: 'the same echo server in a second process, in the same alternation (what a ratio reads with nothing to tell apart, p50)', subject: 'a second process of the echo server', baseline },
      percentile(twinSamples, 50),
      percentile(echoSamples, 50),
      'reported (the spread of the row above in this run)',
    ),
  ];
}
