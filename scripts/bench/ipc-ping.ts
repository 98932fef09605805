import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { IpcClient } from '../../src/ipc/index.js';
import { percentile, type Ratio } from './stats.js';

/** The echo server runs in its own process, as covenantd does, so both sides cross a process boundary. */
async function bareEchoServer(path: string): Promise<() => Promise<void>> {
  const script = fileURLToPath(new URL('./echo-server.mjs', import.meta.url));
  const child = spawn(process.execPath, [script, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
  return () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

async function roundTrips(client: IpcClient, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await client.request({ kind: 'ping' });
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return samples;
}

/** Authenticated ping to covenantd vs a bare Unix-socket echo server with the same framing. */
export async function benchIpcPing(daemonSock: string, token: string, scratchDir: string, count = 3000): Promise<Ratio> {
  const stopEcho = await bareEchoServer(`${scratchDir}/echo.sock`);
  const daemon = await IpcClient.connect(daemonSock);
  await daemon.authenticate(token);
  const echo = await IpcClient.connect(`${scratchDir}/echo.sock`);
  await roundTrips(daemon, 300);
  await roundTrips(echo, 300);
  const daemonSamples: number[] = [];
  const echoSamples: number[] = [];
  for (let round = 0; round < 10; round += 1) {
    daemonSamples.push(...(await roundTrips(daemon, count / 10)));
    echoSamples.push(...(await roundTrips(echo, count / 10)));
  }
  daemon.close();
  echo.close();
  await stopEcho();
  const subject = percentile(daemonSamples, 50);
  const baseline = percentile(echoSamples, 50);
  return {
    name: 'ipc ping round trip (p50)',
    subject: 'covenantd authenticated ping',
    baseline: 'bare Node echo server, same framing',
    subjectValue: subject,
    baselineValue: baseline,
    unit: 'ms',
    ratio: subject / baseline,
    target: '<= 1.5',
    met: subject / baseline <= 1.5,
  };
}
