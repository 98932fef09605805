import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { homePaths } from '../../src/home/layout.js';
import { DAEMON_BIN, spawnDaemon } from '../../test/helpers/binaries.js';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One run of the compiled covenantd, with its exit observed from the moment it answered. */
export interface HarnessDaemon {
  child: ChildProcess;
  sock: string;
  exited: Promise<Exit>;
  alive(): boolean;
  stderr(): string;
}

export function assertBuilt(): void {
  if (!existsSync(DAEMON_BIN)) throw new Error(`${DAEMON_BIN} is missing; build first with \`npm run build\``);
}

export async function startDaemon(home: string, env: NodeJS.ProcessEnv, args: string[]): Promise<HarnessDaemon> {
  const daemon = await spawnDaemon(home, env, args);
  const { child } = daemon;
  let exit: Exit | null = null;
  const exited = new Promise<Exit>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      exit = { code: child.exitCode, signal: child.signalCode };
      resolve(exit);
      return;
    }
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve(exit);
    });
  });
  return { child, sock: daemon.sock, exited, alive: () => exit === null, stderr: () => daemon.stderr() };
}

/** SIGTERM, then SIGKILL if the daemon has not exited within `graceMs`; says which ended it. */
export async function stopDaemon(daemon: HarnessDaemon, graceMs: number): Promise<{ exit: Exit; clean: boolean }> {
  if (!daemon.alive()) return { exit: await daemon.exited, clean: false };
  daemon.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), graceMs);
  });
  const exit = await Promise.race([daemon.exited, late]);
  clearTimeout(timer);
  if (exit !== null) return { exit, clean: exit.code === 0 };
  daemon.child.kill('SIGKILL');
  return { exit: await daemon.exited, clean: false };
}

export function readOperatorToken(home: string): string {
  return readFileSync(homePaths(home).operatorToken, 'utf8').trim();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/**
 * Processes left running inside `dir` (their working directory is under it): agent processes
 * the killed daemon had started. Only this run's temp directory is looked at.
 */
export function processesUnder(dir: string): number[] {
  const pids: number[] = [];
  if (!existsSync('/proc')) return pids;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cwd = readlinkSync(`/proc/${entry}/cwd`);
      if (cwd === dir || cwd.startsWith(`${dir}/`)) pids.push(Number(entry));
    } catch {
      // gone, or not ours to inspect
    }
  }
  return pids;
}

/** The environment of a harness daemon: a temp home, quiet logs, nothing inherited but PATH. */
export function harnessEnv(dir: string, home: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn', ...extra };
}
