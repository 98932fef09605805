import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { IpcClient, WireMessage } from '../../src/ipc/index.js';
import { DaemonFixture } from '../helpers/daemon-fixture.js';
import { SteppedRunClock } from '../helpers/run-clock.js';
import { tempDir } from '../helpers/temp-home.js';

export { writeFixtureAgent } from './fixture-agent.js';

/** The shared fixture with a directory for agent packages and the fixture agents' pid file. */
export class BudgetDaemon extends DaemonFixture {
  packages = '';
  pidfile = '';
  runClock = new SteppedRunClock();
  /** The operator session requests go through unless another is given. */
  main!: IpcClient;
  removeScratch: () => void = () => undefined;

  override call(message: WireMessage, via: IpcClient | string = this.main): Promise<WireMessage> {
    return super.call(message, via);
  }

  override async stop(): Promise<void> {
    await super.stop();
    this.removeScratch();
  }
}

export async function startBudgetDaemon(): Promise<BudgetDaemon> {
  const { dir, cleanup } = tempDir('covenant-budget-daemon-');
  const packages = join(dir, 'packages');
  const pidfile = join(dir, 'pids.txt');
  mkdirSync(packages);
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, FIXTURE_PIDFILE: pidfile };
  const runClock = new SteppedRunClock();
  const daemon = await BudgetDaemon.start({ agentRuntime: { env, killGraceMs: 300, runClock: runClock.now } }).catch((error: unknown) => {
    cleanup();
    throw error;
  });
  Object.assign(daemon, { packages, pidfile, runClock, removeScratch: cleanup });
  daemon.main = await daemon.session();
  return daemon;
}
