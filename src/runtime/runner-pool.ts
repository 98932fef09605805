/**
 * The runners the daemon dispatches to, by backend (SPEC 12, 13):
 * - `trusted-local`: one `TrustedLocalRunner` for every agent, with one warm (pre-spawned)
 *   process per installed agent whose manifest says `resources.warm = true` (the default).
 *   Warm processes are started when an agent is installed and when the daemon starts, killed
 *   when it is removed or replaced, and all of them are killed when the daemon stops.
 *   When the daemon runs as root, these agents run as nobody (65534) unless the manifest says
 *   `sandbox.run_as_daemon_user = true`: trusted-local is no isolation, so at least not root.
 * - `linux-bwrap`: the same process supervision and warm pool, every launch wrapped in bwrap
 *   (see `./bwrap/`). If bwrap is missing, the run fails with `sandbox_unavailable`.
 * - `linux-gvisor`: one `GvisorRunner`, created on first use, with the rootfs from
 *   `COVENANT_GVISOR_ROOTFS` and its bundles and runsc state under `$COVENANT_HOME/runtime/gvisor`.
 *   If runsc or the rootfs is missing, the run fails with `sandbox_unavailable`: there is never
 *   a fallback to an unsandboxed run. Agents with `resources.warm = true` keep one `runsc run`
 *   started ahead of time (sandbox booted, agent waiting on stdin), started at install / daemon
 *   start and after each run, killed and deleted when the agent is removed or replaced and when
 *   the daemon stops.
 */
import path from 'node:path';
import { createBwrapRunner, detectBwrapHost, type BwrapHost } from './bwrap/index.js';
import { GvisorRunner } from './gvisor/index.js';
import type { InstalledAgent, RuntimeBackend } from './installed-agents.js';
import type { AgentManifest } from './manifest.js';
import {
  TrustedLocalRunner,
  UNPRIVILEGED_GID,
  UNPRIVILEGED_UID,
  type AgentLaunch,
  type LaunchProfile,
} from './local-runner.js';
import type { AgentRunner } from './runner.js';

export interface RunnerPoolOptions {
  /** `$COVENANT_HOME` (messages from the gVisor runner redact it). */
  covenantHome: string;
  /** `$COVENANT_HOME/runtime/gvisor` */
  gvisorStateRoot: string;
  /** `COVENANT_GVISOR_ROOTFS`; empty or absent: gVisor runs fail with a fix line. */
  gvisorRootfs?: string;
  /** runsc binary; default `runsc` on PATH. */
  runscPath?: string;
  /** SIGTERM → SIGKILL grace for both runners (default 2000 ms). */
  killGraceMs?: number;
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
}

/** The manifest's launch settings (defaults when the agent is not installed, e.g. in tests). */
function profileOf(manifest: AgentManifest | undefined): Partial<LaunchProfile> {
  if (!manifest) return {};
  return { network: manifest.resources.network, envNames: manifest.agent.env };
}

export class RunnerPool {
  readonly trusted: TrustedLocalRunner;
  readonly bwrap: TrustedLocalRunner;
  private gvisor: GvisorRunner | null = null;
  private closed = false;

  constructor(private readonly options: RunnerPoolOptions) {
    const warm = options.warm;
    const manifest = options.manifest ?? (() => undefined);
    const common: ConstructorParameters<typeof TrustedLocalRunner>[0] = {
      warm: warm ? (launch: AgentLaunch) => warm(launch.agentId) : false,
      profile: (launch: AgentLaunch) => profileOf(manifest(launch.agentId)),
    };
    if (options.killGraceMs !== undefined) common.killGraceMs = options.killGraceMs;
    if (options.baseEnv !== undefined) common.baseEnv = options.baseEnv;
    const daemonUid = options.daemonUid ?? process.getuid?.();
    const dropRoot = daemonUid === 0;
    this.trusted = new TrustedLocalRunner({
      ...common,
      runAs: (launch) =>
        dropRoot && manifest(launch.agentId)?.sandbox.run_as_daemon_user !== true
          ? { uid: UNPRIVILEGED_UID, gid: UNPRIVILEGED_GID }
          : undefined,
    });
    this.bwrap = createBwrapRunner(options.bwrapHost ?? detectBwrapHost(), common);
  }

  runnerFor(backend: RuntimeBackend): AgentRunner {
    if (backend === 'trusted-local') return this.trusted;
    if (backend === 'linux-bwrap') return this.bwrap;
    if (this.gvisor === null) {
      const gvisorOptions: ConstructorParameters<typeof GvisorRunner>[0] = {
        rootfs: this.options.gvisorRootfs ?? '',
        stateRoot: path.resolve(this.options.gvisorStateRoot),
        covenantHome: this.options.covenantHome,
      };
      if (this.options.runscPath) gvisorOptions.runscPath = this.options.runscPath;
      if (this.options.killGraceMs !== undefined) gvisorOptions.graceMs = this.options.killGraceMs;
      const warm = this.options.warm;
      if (warm) gvisorOptions.warm = (launch: AgentLaunch) => warm(launch.agentId);
      this.gvisor = new GvisorRunner(gvisorOptions);
    }
    return this.gvisor;
  }

  /**
   * Starts the warm process (trusted-local) or the warm `runsc run` (linux-gvisor) of an agent
   * with `resources.warm = true`.
   */
  prewarm(agent: InstalledAgent): void {
    if (this.closed || !agent.manifest.resources.warm) return;
    const launch: AgentLaunch = {
      agentId: agent.id,
      packageDir: agent.packageDir,
      runtime: agent.manifest.agent.runtime,
      entry: agent.manifest.agent.entry,
      memoryMb: agent.manifest.resources.memory_mb,
    };
    if (agent.backend === 'trusted-local') this.trusted.prewarm(launch);
    else if (agent.backend === 'linux-bwrap') this.bwrap.prewarm(launch);
    else if (agent.backend === 'linux-gvisor') (this.runnerFor('linux-gvisor') as GvisorRunner).prewarm(launch);
  }

  /** Kills an agent's warm process or warm sandbox (before its package is replaced or removed). */
  async evict(agentId: string): Promise<void> {
    await Promise.allSettled([this.trusted.evict(agentId), this.bwrap.evict(agentId), this.gvisor?.evict(agentId)]);
  }

  /** Number of idle warm processes plus warm sandboxes (status and tests). */
  get warmCount(): number {
    return this.trusted.warmCount + this.bwrap.warmCount + (this.gvisor?.warmCount ?? 0);
  }

  /** Kills every warm process and every running sandbox. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([this.trusted.close(), this.bwrap.close(), this.gvisor?.close()]);
  }
}
