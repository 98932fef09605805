import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleCli } from '../../scripts/bundle-cli.mjs';
import { bundleIsCurrent } from '../../src/cli/bundle-freshness.js';
import { IpcClient } from '../../src/ipc/index.js';
import { tempHome } from './temp-home.js';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The `covenant` that users run: package.json's bin, the bundle of the CLI's hot path. */
export const CLI_BIN = join(REPO_ROOT, (JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as { bin: { covenant: string } }).bin.covenant);
// After `tsc` alone the bundle is older than dist/ and would run the ES module entry instead:
// made again here, the tests run the bin as `npm run build` leaves it.
if (!bundleIsCurrent(CLI_BIN)) await bundleCli();
export const DAEMON_BIN = join(REPO_ROOT, 'dist', 'daemon', 'main.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
  json: Record<string, unknown> | null;
}

/** Runs the compiled `covenant` binary to completion. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; input?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [CLI_BIN, ...args], {
    env,
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  let json: Record<string, unknown> | null;
  try {
    json = JSON.parse(result.stdout) as Record<string, unknown>;
  } catch {
    json = null;
  }
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, json };
}

/** The compiled CLI, run without blocking this process (an in-process daemon must keep serving). */
export function runCliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI_BIN, ...args], { env, timeout: 60_000 }, (error, stdout, stderr) => {
      let json: Record<string, unknown> | null;
      try {
        json = JSON.parse(stdout) as Record<string, unknown>;
      } catch {
        json = null;
      }
      const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
      resolve({ code, stdout, stderr, json });
    });
  });
}

export interface DaemonProcess {
  child: ChildProcess;
  sock: string;
  stderr(): string;
  /** Sends SIGTERM and waits for the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Starts the compiled `covenantd` binary and waits until its socket answers protocol_info; `nodeFlags` go to node before it (the bench preloads a module). */
export async function spawnDaemon(home: string, env: NodeJS.ProcessEnv, extraArgs: string[] = ['--no-http'], cwd = REPO_ROOT, nodeFlags: string[] = []): Promise<DaemonProcess> {
  const child = spawn(process.execPath, [...nodeFlags, DAEMON_BIN, '--home', home, ...extraArgs], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolvePromise) => child.once('exit', (code) => resolvePromise(code)));
  const sock = join(home, 'sock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`covenantd exited early (${child.exitCode}): ${stderr}`);
    if (existsSync(sock)) {
      try {
        const client = await IpcClient.connect(sock, { timeoutMs: 2000 });
        await client.protocolInfo();
        client.close();
        break;
      } catch {
        // not ready yet
      }
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`covenantd did not start within 60 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    sock,
    stderr: () => stderr,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}

/** A socket client of a running daemon on `home`, authenticated with its operator token file. */
export async function operatorClient(home: string, timeoutMs = 60_000): Promise<IpcClient> {
  const client = await IpcClient.connect(join(home, 'sock'), { timeoutMs });
  await client.authenticate(readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim());
  return client;
}

/**
 * The compiled covenantd on a fresh temporary home, and an environment in which the CLI acts
 * as its operator; `run` gets both, then the daemon is stopped (exit 0 asserted) and the home removed.
 */
export async function withDaemonHome(run: (home: string, env: NodeJS.ProcessEnv, daemon: DaemonProcess) => Promise<void>): Promise<void> {
  const { home, cleanup } = tempHome();
  const env: NodeJS.ProcessEnv = { ...process.env, COVENANT_HOME: home };
  delete env.COVENANT_TOKEN;
  const daemon = await spawnDaemon(home, env);
  let code: number | null;
  try {
    await run(home, env, daemon);
  } finally {
    code = await daemon.stop();
    cleanup();
  }
  if (code !== 0) throw new Error(`covenantd exited ${code}: ${daemon.stderr()}`);
}
