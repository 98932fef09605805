import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { alternateBatches, latencyRatio, percentile, type Ratio } from './stats.js';

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

/** Authenticated ping to covenantd vs a bare Unix-socket echo server with the same framing. */
export async function benchIpcPing(daemonSock: string, token: string, scratchDir: string, count = 3000): Promise<Ratio> {
  const stopEcho = await bareEchoServer(`${scratchDir}/echo.sock`);
  const daemon = await IpcClient.connect(daemonSock);
  await daemon.authenticate(token);
  const echo = await IpcClient.connect(`${scratchDir}/echo.sock`);
  const [daemonSamples, echoSamples] = await alternateBatches(
    () => daemon.request({ kind: 'ping' }),
    () => echo.request({ kind: 'ping' }),
    count,
    300,
  );
  daemon.close();
  echo.close();
  await stopEcho();
  return latencyRatio(
    { name: 'ipc ping round trip (p50)', subject: 'covenantd authenticated ping', baseline: 'bare Node echo server, same framing' },
    percentile(daemonSamples, 50),
    percentile(echoSamples, 50),
    1.3,
  );
}
