/**
 * The host backends of the supervisor: `trusted-local` (SPEC 12) runs an agent as an ordinary
 * child process of the daemon; `linux-bwrap` (`./bwrap/`) wraps the same launch in bubblewrap.
 * Both resolve a launch the same way here (entry inside the package, allowlisted environment,
 * the manifest's profile); they differ only in the command line.
 *
 * "Trusted" means there is no sandbox: the agent runs with the daemon's uid (or, when the
 * daemon is root, as an unprivileged user: `runAs`) and can read whatever that user can. What
 * the supervisor does guarantee is hygiene and containment of the process tree: no inherited
 * secrets, bounded output, and every process the agent started is gone when `run` returns.
 */
import path from 'node:path';
import { buildAgentEnv } from './agent-env.js';
import type { AgentLaunch } from './runner.js';
import {
  AgentSupervisor,
  sanitize,
  type Planned,
  type Prepared,
  type SpawnSpec,
  type SupervisorBackend,
  type SupervisorOptions,
} from './supervisor/index.js';

export { buildAgentEnv } from './agent-env.js';

/** `nobody`/`nogroup` on Debian: who trusted-local agents run as when the daemon is root. */
export const UNPRIVILEGED_UID = 65534;
export const UNPRIVILEGED_GID = 65534;

/** What the manifest says about how an agent is launched (looked up per launch). */
export interface LaunchProfile {
  /** `[resources] network` */
  network: 'off' | 'outbound-https-only' | 'full';
  /** `[agent] env`: variables taken from the daemon's environment. */
  envNames: readonly string[];
}

/** A validated launch: resolved package directory, entry relative to it (POSIX separators). */
export interface SandboxLaunch {
  agentId: string;
  packageDir: string;
  entry: string;
  runtime: AgentLaunch['runtime'];
  memoryMb: number;
  profile: LaunchProfile;
  /** The allowlisted environment built from the daemon's (the sandbox decides what to keep). */
  env: Record<string, string>;
  /** Interpreter for python3 agents. */
  python3Command: string;
}

/** The process to spawn for a sandboxed launch. */
export type SandboxCommand = SpawnSpec;

/** How the host backends resolve a launch. */
export interface HostLaunchOptions {
  /** Environment the allowlist is drawn from. Default: `process.env` at launch time. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Interpreter for `runtime = "python3"`, looked up on the agent's PATH. Default `python3`. */
  python3Command?: string;
  /** The manifest's launch settings for an agent. Default: network off, no declared variables. */
  profile?: (launch: AgentLaunch) => Partial<LaunchProfile> | undefined;
}

export type HostRunnerOptions = Omit<SupervisorOptions, 'refuseAfterClose'> & HostLaunchOptions;

export interface TrustedLocalRunnerOptions extends HostRunnerOptions {
  /**
   * The user an agent runs as (spawn `uid`/`gid`). The daemon passes nobody (65534) when it
   * runs as root, unless the manifest opts in to the daemon's user. Default: the daemon's own user.
   */
  runAs?: (launch: AgentLaunch) => { uid: number; gid: number } | undefined;
}

/** Checks a launch (entry inside the package, known runtime) and builds its allowlisted environment. */
export function resolveHostLaunch(launch: AgentLaunch, options: HostLaunchOptions, fixed: Record<string, string> = {}): SandboxLaunch {
  const packageDir = path.resolve(launch.packageDir);
  if (path.isAbsolute(launch.entry)) throw new Error(`entry "${launch.entry}" must be relative to the package`);
  const rel = path.relative(packageDir, path.resolve(packageDir, launch.entry));
  if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
    throw new Error(`entry "${launch.entry}" escapes the package directory`);
  }
  if (!['node', 'python3', 'bin'].includes(launch.runtime)) throw new Error(`unknown runtime ${JSON.stringify(launch.runtime)}`);
  const given = options.profile?.(launch) ?? {};
  const profile: LaunchProfile = { network: given.network ?? 'off', envNames: given.envNames ?? [] };
  return {
    agentId: launch.agentId,
    packageDir,
    entry: rel.split(path.sep).join('/'),
    runtime: launch.runtime,
    memoryMb: launch.memoryMb,
    profile,
    env: buildAgentEnv(options.baseEnv ?? process.env, launch.env, { declared: profile.envNames, fixed }),
    python3Command: options.python3Command ?? 'python3',
  };
}

interface HostPlan extends Planned, Prepared {
  packageDir: string;
  runtime: AgentLaunch['runtime'];
}

/** A host backend: the launch is resolved and spawned as it is; nothing to clean up but the group. */
export function hostBackend(
  name: 'trusted-local' | 'linux-bwrap',
  spawnFor: (launch: AgentLaunch) => SpawnSpec,
): SupervisorBackend<HostPlan, HostPlan> {
  return {
    name,
    killed: 'its process group',
    plan(launch) {
      const spawn = spawnFor(launch);
      const env = Object.entries(spawn.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return {
        fingerprint: JSON.stringify([spawn.command, spawn.args, spawn.cwd, env, spawn.uid ?? null, spawn.gid ?? null]),
        spawn,
        packageDir: path.resolve(launch.packageDir),
        runtime: launch.runtime,
      };
    },
    prepare: (plan) => plan,
    spawnFailure: (err, plan) => ({
      reason: 'spawn_failed',
      // The package path is the operator's business, not the caller's: show it relative.
      message: `could not start ${plan.runtime} agent: ${sanitize(err.message.split(plan.packageDir).join('<package>'))}`,
    }),
  };
}

/** The trusted-local command: the interpreter on the host, in the package directory. */
function trustedLocalCommand(launch: SandboxLaunch, user: { uid: number; gid: number } | undefined): SpawnSpec {
  // An unprivileged user cannot search a 0700 $COVENANT_HOME: it reaches its package through
  // its cwd (entered before the uid drop), so paths go through /proc/self/cwd.
  const entryArg = user ? `/proc/self/cwd/${launch.entry}` : path.resolve(launch.packageDir, launch.entry);
  let command: string;
  let args: string[] = [];
  if (launch.runtime === 'node') {
    command = process.execPath;
    if (Number.isInteger(launch.memoryMb) && launch.memoryMb > 0) args.push(`--max-old-space-size=${launch.memoryMb}`);
    if (user) args.push('--preserve-symlinks', '--preserve-symlinks-main');
    args.push(entryArg);
  } else if (launch.runtime === 'python3') {
    command = launch.python3Command;
    args = [entryArg];
  } else {
    command = entryArg;
  }
  return { command, args, cwd: launch.packageDir, env: launch.env, ...(user ? { uid: user.uid, gid: user.gid } : {}) };
}

export class TrustedLocalRunner extends AgentSupervisor<HostPlan, HostPlan> {
  constructor(options: TrustedLocalRunnerOptions = {}) {
    super(
      hostBackend('trusted-local', (launch) => {
        const user = options.runAs?.(launch);
        return trustedLocalCommand(resolveHostLaunch(launch, options, user ? { HOME: '/tmp' } : {}), user);
      }),
      options,
    );
  }
}
