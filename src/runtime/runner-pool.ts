/**
 * The runners the daemon dispatches to, by backend (SPEC 12, 13). Each is the one process
 * supervisor (`./supervisor/`) with a backend, created on first use; the pool only knows the
 * `SupervisedRunner` interface.
 * - `trusted-local`: every agent of that backend, with one warm (pre-spawned) process per
 *   installed agent whose manifest says `resources.warm = true` (the default). Warm processes
 *   are started when an agent is installed and when the daemon starts, killed when it is removed
 *   or replaced, and all of them are killed when the daemon stops. When the daemon runs as root,
 *   these agents run as nobody (65534) unless the manifest says `sandbox.run_as_daemon_user =
 *   true`: trusted-local is no isolation, so at least not root. With `launcher`, its processes,
 *   warm or cold (here and for both sandboxes), are started by the launcher process
 *   (`./supervisor/launcher.ts`).
 * - `linux-bwrap`: the same, every launch wrapped in bwrap (see `./bwrap/`). If bwrap is
 *   missing, the run fails with `sandbox_unavailable`.
 * - `linux-gvisor`: the rootfs from `COVENANT_GVISOR_ROOTFS`, bundles and runsc state under
 *   `$COVENANT_HOME/runtime/gvisor`. If runsc or the rootfs is missing, the run fails with
 *   `sandbox_unavailable`: there is never a fallback to an unsandboxed run. A warm agent keeps
 *   one `runsc run` started ahead of time (sandbox booted, agent waiting on stdin).
 */
import path from 'node:path';
import { createBwrapRunner, detectBwrapHost, type BwrapHost } from './bwrap/index.js';
import { GvisorRunner, leftoverGvisorRuns } from './gvisor/index.js';
import type { InstalledAgent, RuntimeBackend } from './installed-agents.js';
import { TrustedLocalRunner, UNPRIVILEGED_GID, UNPRIVILEGED_UID, type HostRunnerOptions, type LaunchProfile } from './local-runner.js';
import type { AgentManifest } from './manifest.js';
import type { AgentLaunch } from './runner.js';
import { ProcessLauncher, type SupervisedRunner } from './supervisor/index.js';

export interface RunnerPoolOptions {
  /** `$COVENANT_HOME` (messages from the gVisor runner redact it). */
  covenantHome: string;
  /** `$COVENANT_HOME/runtime/gvisor` */
  gvisorStateRoot: string;
  /** `COVENANT_GVISOR_ROOTFS`; empty or absent: gVisor runs fail with a fix line. */
  gvisorRootfs?: string;
  /** runsc binary; default `runsc` on PATH. */
  runscPath?: string;
  /** SIGTERM → SIGKILL grace for every runner (default 2000 ms). */
  killGraceMs?: number;
  /** The clock runs are measured on (SupervisorOptions.runClock). */
  runClock?: () => number;
  /** Environment agents' allowlisted variables come from (default `process.env`). */
  baseEnv?: NodeJS.ProcessEnv;
  /** Whether an agent keeps a warm process (looked up at spawn time). */
  warm?: (agentId: string) => boolean;
  /** An installed agent's manifest (network, declared variables, run_as_daemon_user). */
  manifest?: (agentId: string) => AgentManifest | undefined;
  /** Host facts for linux-bwrap (bwrap path, root layout, node); default: detected. */
  bwrapHost?: BwrapHost;
  /** The daemon's uid (default `process.getuid()`); 0 makes trusted-local agents run as nobody. */
  daemonUid?: number;
  /**
   * Start every agent process (trusted-local, bwrap, `runsc run`), warm or cold, in a launcher
   * process (`./supervisor/launcher.ts`), so that its spawn never blocks the caller's loop; the
   * daemon does. Default: spawned in this process.
   */
  launcher?: boolean;
}

/** The manifest's launch settings (defaults when the agent is not installed, e.g. in tests). */
function profileOf(manifest: AgentManifest | undefined): Partial<LaunchProfile> {
  if (!manifest) return {};
  return { network: manifest.resources.network, envNames: manifest.agent.env };
}

export class RunnerPool {
  /** Runners by backend, each created on first use. */
  private readonly runners = new Map<RuntimeBackend, SupervisedRunner>();
  private readonly create: Record<RuntimeBackend, () => SupervisedRunner>;
  private closed = false;
  private readonly launcher: ProcessLauncher | undefined;

  constructor(options: RunnerPoolOptions) {
    const manifest = options.manifest ?? (() => undefined);
    const warmOption = options.warm;
    const warm = warmOption ? (launch: AgentLaunch) => warmOption(launch.agentId) : false;
    const host: HostRunnerOptions = { warm, profile: (launch: AgentLaunch) => profileOf(manifest(launch.agentId)) };
    if (options.killGraceMs !== undefined) host.killGraceMs = options.killGraceMs;
    if (options.runClock !== undefined) host.runClock = options.runClock;
    if (options.baseEnv !== undefined) host.baseEnv = options.baseEnv;
    if (options.launcher === true) {
      this.launcher = new ProcessLauncher();
      host.launcher = this.launcher;
    }
    const dropRoot = (options.daemonUid ?? process.getuid?.()) === 0;
    this.create = {
      'trusted-local': () =>
        new TrustedLocalRunner({
          ...host,
          runAs: (launch) =>
            dropRoot && manifest(launch.agentId)?.sandbox.run_as_daemon_user !== true
              ? { uid: UNPRIVILEGED_UID, gid: UNPRIVILEGED_GID }
              : undefined,
        }),
      'linux-bwrap': () => createBwrapRunner(options.bwrapHost ?? detectBwrapHost(), host),
      'linux-gvisor': () => {
        const gvisorOptions: ConstructorParameters<typeof GvisorRunner>[0] = {
          rootfs: options.gvisorRootfs ?? '',
          stateRoot: path.resolve(options.gvisorStateRoot),
          covenantHome: options.covenantHome,
          warm,
        };
        if (this.launcher !== undefined) gvisorOptions.launcher = this.launcher;
        if (options.runscPath) gvisorOptions.runscPath = options.runscPath;
        if (options.killGraceMs !== undefined) gvisorOptions.graceMs = options.killGraceMs;
        if (options.runClock !== undefined) gvisorOptions.runClock = options.runClock;
        return new GvisorRunner(gvisorOptions);
      },
    };
    // A killed covenantd's gVisor bundles: the gVisor runner removes them when it is made (its
    // sweep), so it is made now, not at the first gVisor run, which may never come.
    if (leftoverGvisorRuns(options.gvisorStateRoot).length > 0) this.runnerFor('linux-gvisor');
  }

  runnerFor(backend: RuntimeBackend): SupervisedRunner {
    let runner = this.runners.get(backend);
    if (runner === undefined) {
      runner = this.create[backend]();
      this.runners.set(backend, runner);
    }
    return runner;
  }

  /**
   * Starts the warm launch of an agent with `resources.warm = true`, whatever its backend. For
   * any agent, warm or not, the launcher is started too, so that its first run does not wait for
   * the launcher's boot.
   */
  prewarm(agent: InstalledAgent): void {
    if (this.closed) return;
    this.launcher?.start();
    if (!agent.manifest.resources.warm) return;
    this.runnerFor(agent.backend).prewarm({
      agentId: agent.id,
      packageDir: agent.packageDir,
      runtime: agent.manifest.agent.runtime,
      entry: agent.manifest.agent.entry,
      memoryMb: agent.manifest.resources.memory_mb,
    });
  }

  /** Kills an agent's warm process or warm sandbox (before its package is replaced or removed). */
  async evict(agentId: string): Promise<void> {
    await Promise.allSettled([...this.runners.values()].map((runner) => runner.evict(agentId)));
  }

  /** Number of idle warm processes plus warm sandboxes (status and tests). */
  get warmCount(): number {
    let n = 0;
    for (const runner of this.runners.values()) n += runner.warmCount;
    return n;
  }

  /** Kills every warm process and every running sandbox. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.runners.values()].map((runner) => runner.close()));
    this.launcher?.close();
  }
}
