import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { runCli, spawnDaemon, type CliResult, type DaemonProcess } from '../helpers/binaries.js';
import { tempDir } from '../helpers/temp-home.js';

export const LIVE = process.env.COVENANT_LIVE === '1';

/** A node:test test that runs only with COVENANT_LIVE=1. Names start with `live_`. */
export function liveTest(name: string, fn: (t: TestContext) => Promise<void>, options: { timeout?: number } = {}): void {
  if (!name.startsWith('live_')) throw new Error(`live test names start with live_: ${name}`);
  test(name, { skip: LIVE ? false : 'set COVENANT_LIVE=1 to run live tests', timeout: options.timeout ?? 120_000 }, fn);
}

/** Skips (or, when COVENANT_LIVE_REQUIRE lists the surface, fails) a test whose service is missing. */
export function requireService(t: TestContext, surface: string, available: boolean, service: string): boolean {
  if (available) return true;
  const required = (process.env.COVENANT_LIVE_REQUIRE ?? '').split(',').map((s) => s.trim());
  if (required.includes(surface)) throw new Error(`${service} is required for ${surface} (COVENANT_LIVE_REQUIRE) but is not available`);
  t.skip(`${service} not available`);
  return false;
}

export interface LiveHome {
  home: string;
  env: NodeJS.ProcessEnv;
  daemon: DaemonProcess | null;
  /** Starts the real covenantd binary on this home. */
  start(args?: string[]): Promise<DaemonProcess>;
  cli(args: string[], extraEnv?: NodeJS.ProcessEnv): CliResult;
  operatorToken(): string;
  dispose(): Promise<void>;
}

/** A temporary COVENANT_HOME with the real binaries; the env carries no token of the runner's own. */
export function liveHome(): LiveHome {
  const { dir, cleanup } = tempDir('covenant-live-');
  const home = join(dir, 'home');
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, COVENANT_HOME: home, COVENANT_LOG_LEVEL: 'warn' };
  const state: LiveHome = {
    home,
    env,
    daemon: null,
    async start(args = ['--no-http']) {
      state.daemon = await spawnDaemon(home, env, args);
      return state.daemon;
    },
    cli(args, extraEnv = {}) {
      return runCli(args, { ...env, ...extraEnv });
    },
    operatorToken() {
      return readFileSync(join(home, 'peers', 'operator.token'), 'utf8').trim();
    },
    async dispose() {
      if (state.daemon) await state.daemon.stop('SIGTERM');
      cleanup();
    },
  };
  return state;
}
