/**
 * The daemon's agent runtime: installed agents plus the runners they dispatch to, wired so
 * that installs and removals keep the warm processes in step. Built once by `startDaemon`.
 */
import path from 'node:path';
import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../core/index.js';
import type { Db } from '../store/index.js';
import { detectBwrapHost, type BwrapHost } from './bwrap/index.js';
import { InstalledAgents, selectDefaultBackend, type InstalledAgent, type RuntimeBackend, type RuntimeLog } from './installed-agents.js';
import { RunnerPool } from './runner-pool.js';

export interface AgentRuntimeOptions {
  /** Environment read for `COVENANT_RUNTIME_BACKEND` and `COVENANT_GVISOR_ROOTFS`, and the
   * base of agents' allowlisted environment. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
  /** SIGTERM → SIGKILL grace for agent runs (default 2000 ms). */
  killGraceMs?: number;
  /** The clock agent runs are measured (and charged) on; default `performance.now` (tests inject one). */
  runClock?: () => number;
  /** runsc binary (default `runsc` on PATH). */
  runscPath?: string;
  /** Host facts for linux-bwrap; default: detected (bwrap on the daemon's PATH). */
  bwrapHost?: BwrapHost;
}

export interface AgentRuntime {
  agents: InstalledAgents;
  runners: RunnerPool;
  defaultBackend: RuntimeBackend;
  /** Why that backend is the default (`covenant doctor`). */
  defaultBackendReason: string;
  bwrapHost: BwrapHost;
  gvisorRootfs: string | undefined;
  /** Kills warm processes and running sandboxes. Idempotent. */
  close(): Promise<void>;
}

export function openAgentRuntime(
  deps: {
    home: string;
    agentsDir: string;
    runtimeDir: string;
    db: Db;
    audit: AuditLog;
    clock: Clock;
    log?: RuntimeLog;
    /** Told about every agent loaded at start-up or (re)installed (budgets follow the manifest). */
    onAgentLoaded?: (agent: InstalledAgent) => void;
  },
  options: AgentRuntimeOptions = {},
): AgentRuntime {
  const env = options.env ?? process.env;
  const bwrapHost = options.bwrapHost ?? detectBwrapHost(env.PATH);
  const { backend: defaultBackend, reason: defaultBackendReason } = selectDefaultBackend(env.COVENANT_RUNTIME_BACKEND, bwrapHost.bwrap);
  const gvisorRootfs = env.COVENANT_GVISOR_ROOTFS?.trim() || undefined;
  const agentsOptions: ConstructorParameters<typeof InstalledAgents>[0] = {
    db: deps.db,
    audit: deps.audit,
    clock: deps.clock,
    agentsDir: deps.agentsDir,
    defaultBackend,
  };
  if (deps.log) agentsOptions.log = deps.log;
  const agents = new InstalledAgents(agentsOptions);
  const poolOptions: ConstructorParameters<typeof RunnerPool>[0] = {
    covenantHome: deps.home,
    gvisorStateRoot: path.join(deps.runtimeDir, 'gvisor'),
    baseEnv: env,
    warm: (id) => agents.get(id)?.manifest.resources.warm === true,
    manifest: (id) => agents.get(id)?.manifest,
    bwrapHost,
    launcher: true,
  };
  if (gvisorRootfs !== undefined) poolOptions.gvisorRootfs = gvisorRootfs;
  if (options.killGraceMs !== undefined) poolOptions.killGraceMs = options.killGraceMs;
  if (options.runClock !== undefined) poolOptions.runClock = options.runClock;
  if (options.runscPath !== undefined) poolOptions.runscPath = options.runscPath;
  const runners = new RunnerPool(poolOptions);
  agents.setHooks({
    beforeChange: (id) => runners.evict(id),
    loaded: (agent) => {
      runners.prewarm(agent);
      deps.onAgentLoaded?.(agent);
    },
  });
  agents.load();
  return { agents, runners, defaultBackend, defaultBackendReason, bwrapHost, gvisorRootfs, close: () => runners.close() };
}
