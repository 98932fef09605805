import { join } from 'node:path';
import type { IpcClient, WireMessage } from '../../src/ipc/index.js';
import { REPO_ROOT } from '../helpers/binaries.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { SteppedRunClock } from '../helpers/run-clock.js';

export const FIXTURE_AGENTS = join(REPO_ROOT, 'test', 'fixtures', 'agents');
export const REFERENCE_AGENTS = join(REPO_ROOT, 'agents');

/** The shared fixture with one operator session that requests go through unless another is given. */
export class RuntimeDaemon extends DaemonFixture {
  /** One authenticated operator session. */
  client!: IpcClient;
  /** The operator's identity as authenticated. */
  self!: { display: string; pubkey: string };
  /** Runs last 400 ms as charged, whatever the machine's load (`runMs = null`: real time). */
  runClock!: SteppedRunClock;

  override call(message: WireMessage, via: IpcClient | string = this.client): Promise<WireMessage> {
    return super.call(message, via);
  }

  install(dir: string): Promise<WireMessage> {
    return this.ok({ kind: 'agents_install', dir });
  }
}

/**
 * An in-process covenantd with a controlled agent-runtime environment and a short kill grace.
 * Agents run trusted-local unless `env` names another backend (the linux-bwrap backend has its
 * own tests in test/runtime and test/live).
 */
export async function startRuntimeDaemon(env: NodeJS.ProcessEnv = {}): Promise<RuntimeDaemon> {
  const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, COVENANT_RUNTIME_BACKEND: 'trusted-local', ...env };
  const runClock = new SteppedRunClock();
  const daemon = await RuntimeDaemon.start({ agentRuntime: { env: baseEnv, killGraceMs: 300, runClock: runClock.now } });
  daemon.runClock = runClock;
  daemon.client = await daemon.connect();
  daemon.self = await daemon.client.authenticate(daemon.operatorToken());
  return daemon;
}
