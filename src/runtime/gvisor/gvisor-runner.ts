/**
 * The linux-gvisor backend of the supervisor: every intent runs in a fresh gVisor sandbox.
 *
 *   runsc --network=none --root <stateRoot>/state [extra flags] run --bundle <stateRoot>/<id> <id>
 *
 * The supervisor drives `runsc run` like any launch (stdio protocol, caps, timeout, warm pool).
 * This backend says how to launch it (an OCI bundle written per run, `warm-<uuid>` for a warm
 * one), how to signal it (`runsc kill <id> TERM|KILL`, so that `runsc run` exits and removes the
 * container itself; its process group is SIGKILLed only if it is still there 1 s later), and how
 * to clean up (`runsc delete --force <id>` after a run that was killed or whose sandbox failed;
 * the bundle directory on every path). Host paths in messages are redacted
 * (`$COVENANT_HOME/...`). If runsc or the rootfs is missing the run is refused with
 * `sandbox_unavailable` and a fix line: there is never an unsandboxed fallback.
 * (A created-but-not-started container for warm runs, `runsc create` + `runsc start`, was tried
 * first and rejected: see docs/gvisor-runner.md, "Warm runs".)
 */
import { promises as fsp, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CovenantError } from '../../core/errors.js';
import type { AgentLaunch } from '../runner.js';
import {
  AgentSupervisor,
  DEFAULT_KILL_GRACE_MS,
  DEFAULT_MAX_STDOUT_BYTES,
  LaunchRefused,
  runControl,
  summarizeStderr,
  type ControlCommand,
  type ExitFacts,
  type Failure,
  type Planned,
  type Prepared,
  type ProcessLauncher,
  type SupervisorBackend,
} from '../supervisor/index.js';
import {
  GVISOR_INTERPRETERS,
  GVISOR_STATE_DIRNAME,
  leftoverGvisorRuns,
  newGvisorRunId,
  removeGvisorBundle,
  writeGvisorBundle,
  type GvisorBundle,
} from './bundle.js';
import { RUNSC_INSTALL_FIX, inspectRootfs, locateRunsc, resolveInRootfs } from './readiness.js';

/** Same defaults as the other backends. */
export const DEFAULT_GVISOR_GRACE_MS = DEFAULT_KILL_GRACE_MS;
export const DEFAULT_GVISOR_STDOUT_CAP_BYTES = DEFAULT_MAX_STDOUT_BYTES;
/** After `runsc kill <id> KILL`, how long runsc run may take to exit before it is SIGKILLed. */
const RUNSC_EXIT_AFTER_KILL_MS = 1000;
/** How long `runsc kill` / `runsc delete` may take. */
const CONTROL_TIMEOUT_MS = 10_000;
/** Flags the runner owns; extraRunscFlags may not override them. */
const RESERVED_FLAGS = ['network', 'root'];
/** Prefix of warm runs' container ids and bundle directories (`warm-<uuid>`). */
export const GVISOR_WARM_PREFIX = 'warm-';

export interface GvisorRunnerOptions {
  /** runsc binary (absolute path or a name looked up on PATH); default `runsc` on PATH. */
  runscPath?: string;
  /** Absolute path of the rootfs (`COVENANT_GVISOR_ROOTFS`). */
  rootfs: string;
  /** `$COVENANT_HOME/runtime/gvisor`: bundles go in `<stateRoot>/<id>/`, runsc state in `<stateRoot>/state`. */
  stateRoot: string;
  /** SIGTERM → SIGKILL grace period (default 2000 ms). */
  graceMs?: number;
  /** Stdout cap (default 16 MiB). */
  stdoutCapBytes?: number;
  /** The clock runs are measured on (SupervisorOptions.runClock). */
  runClock?: () => number;
  /** Extra global runsc flags, placed before `run` (e.g. `--platform=kvm`, `--rootless`). */
  extraRunscFlags?: string[];
  /** The home to redact in messages; default `COVENANT_HOME`, else derived from stateRoot. */
  covenantHome?: string;
  /** Size of the writable /tmp tmpfs in MiB (default 64). */
  scratchMb?: number;
  /**
   * Keep one `runsc run` per agent started ahead of time, its agent waiting on stdin for the
   * next intent (manifest `resources.warm`); a predicate decides per agent. Default: off (every
   * run is a cold `runsc run` started after the intent arrives).
   */
  warm?: boolean | ((launch: AgentLaunch) => boolean);
  /**
   * Start `runsc run` in the launcher process (supervisor/launcher.ts), so that its spawn never
   * blocks this loop; if covenantd dies, the launcher stops each sandbox with `runsc kill`.
   * Default: spawned here.
   */
  launcher?: ProcessLauncher;
}

interface GvisorPlan extends Planned {
  launch: AgentLaunch;
  runsc: string;
}

interface GvisorPrepared extends Prepared {
  runId: string;
  bundleDir: string;
  runsc: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

class GvisorBackend implements SupervisorBackend<GvisorPlan, GvisorPrepared> {
  readonly name = 'linux-gvisor' as const;
  readonly killed = 'its sandbox';
  readonly leader = 'its sandbox';
  readonly killSettleMs = RUNSC_EXIT_AFTER_KILL_MS;

  private readonly runscPath: string | undefined;
  private readonly rootfs: string;
  private readonly stateRoot: string;
  private readonly stateDir: string;
  private readonly extraRunscFlags: string[];
  private readonly scratchMb: number | undefined;
  private readonly redactions: Array<{ pattern: RegExp; replacement: string }>;

  constructor(options: GvisorRunnerOptions) {
    if (!options.stateRoot || !path.isAbsolute(options.stateRoot)) {
      throw new CovenantError('E_BAD_REQUEST', 'GvisorRunner needs an absolute stateRoot ($COVENANT_HOME/runtime/gvisor)');
    }
    for (const flag of options.extraRunscFlags ?? []) {
      const name = /^--?([^=]+)/.exec(flag)?.[1];
      if (name === undefined) {
        throw new CovenantError('E_BAD_REQUEST', `extra runsc flag ${JSON.stringify(flag)} is not a flag`);
      }
      if (RESERVED_FLAGS.includes(name)) {
        throw new CovenantError('E_BAD_REQUEST', `runsc flag --${name} is set by the runner and cannot be overridden`);
      }
    }
    this.runscPath = options.runscPath;
    this.rootfs = options.rootfs;
    this.stateRoot = path.resolve(options.stateRoot);
    this.stateDir = path.join(this.stateRoot, GVISOR_STATE_DIRNAME);
    this.extraRunscFlags = [...(options.extraRunscFlags ?? [])];
    this.scratchMb = options.scratchMb;

    const home =
      options.covenantHome ??
      process.env.COVENANT_HOME ??
      (path.basename(this.stateRoot) === 'gvisor' && path.basename(path.dirname(this.stateRoot)) === 'runtime'
        ? path.dirname(path.dirname(this.stateRoot))
        : undefined);
    const pairs: Array<[string, string]> = [];
    if (home !== undefined && home !== '' && path.resolve(home) !== '/') {
      pairs.push([path.resolve(home), '$COVENANT_HOME']);
    } else {
      pairs.push([this.stateRoot, '$COVENANT_HOME/runtime/gvisor']);
    }
    const userHome = os.homedir();
    if (userHome && path.resolve(userHome) !== '/') pairs.push([path.resolve(userHome), '~']);
    // Longest prefix first, so $COVENANT_HOME wins over ~ when the home is under the user's home.
    pairs.sort((a, b) => b[0].length - a[0].length);
    this.redactions = pairs.map(([prefix, replacement]) => ({
      pattern: new RegExp(`${escapeRegExp(prefix)}(?=$|[^A-Za-z0-9._-])`, 'g'),
      replacement,
    }));
  }

  /**
   * Removes what a previous covenantd left when it was killed before it could clean up: each
   * bundle directory under the state root, with its container (`runsc delete --force`, a no-op
   * once the launcher's `runsc kill` has made `runsc run` remove it). Called once, before this
   * runner writes a bundle: every directory there then is a leftover (the home's lock keeps any
   * other covenantd out). A name no run could have is left alone.
   */
  async sweepLeftovers(): Promise<void> {
    const names = leftoverGvisorRuns(this.stateRoot);
    if (names.length === 0) return;
    const runsc = locateRunsc(this.runscPath);
    await Promise.all(
      names.map(async (runId) => {
        if (runsc.found) await this.forceDelete(runsc.path as string, runId);
        await removeGvisorBundle(path.join(this.stateRoot, runId));
      }),
    );
  }

  /** Replaces host path prefixes ($COVENANT_HOME, the user's home) in a message. */
  redact(message: string): string {
    let out = message;
    for (const { pattern, replacement } of this.redactions) out = out.replace(pattern, replacement);
    return out;
  }

  /** Why `runtime` agents cannot run in gVisor right now (with a fix line), or null. */
  private unavailableReason(runtime: AgentLaunch['runtime']): string | null {
    if (process.platform !== 'linux') {
      return `the linux-gvisor backend needs Linux (this host runs ${process.platform}): use the trusted-local backend here`;
    }
    const runsc = locateRunsc(this.runscPath);
    if (!runsc.found) return `${runsc.message}: ${RUNSC_INSTALL_FIX}`;
    const rootfs = inspectRootfs(this.rootfs);
    if (!rootfs.valid) return `${rootfs.message}: ${rootfs.fixes[0] ?? 'rebuild it with scripts/make-rootfs.sh'}`;
    if (runtime === 'node' && !rootfs.node) {
      return `rootfs ${this.rootfs} has no usr/bin/node: rebuild it with \`scripts/make-rootfs.sh ${this.rootfs}\``;
    }
    if (runtime === 'python3') {
      const py = resolveInRootfs(this.rootfs, GVISOR_INTERPRETERS.python3);
      if (py === null) {
        return `rootfs ${this.rootfs} has no usr/bin/python3: add python3 and its libraries to the rootfs to run python3 agents`;
      }
    }
    return null;
  }

  plan(launch: AgentLaunch): GvisorPlan {
    const unavailable = this.unavailableReason(launch.runtime);
    if (unavailable !== null) throw new LaunchRefused('sandbox_unavailable', `cannot run in gVisor: ${unavailable}`);
    let packageOk: boolean;
    try {
      packageOk = statSync(launch.packageDir).isDirectory();
    } catch {
      packageOk = false;
    }
    if (!packageOk) throw new LaunchRefused('spawn_failed', `package directory ${launch.packageDir} is missing`);
    const packageDir = path.resolve(launch.packageDir);
    const env = Object.entries(launch.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      fingerprint: JSON.stringify([packageDir, launch.runtime, launch.entry, launch.memoryMb, env]),
      launch: {
        agentId: launch.agentId,
        packageDir,
        runtime: launch.runtime,
        entry: launch.entry,
        memoryMb: launch.memoryMb,
        ...(launch.env === undefined ? {} : { env: { ...launch.env } }),
      },
      runsc: locateRunsc(this.runscPath).path as string,
    };
  }

  /** Writes the run's OCI bundle (no half-written directory is left behind on failure). */
  async prepare(plan: GvisorPlan, use: { intentId?: string }): Promise<GvisorPrepared> {
    const { launch } = plan;
    const warm = use.intentId === undefined;
    const runId = warm ? `${GVISOR_WARM_PREFIX}${newGvisorRunId()}` : newGvisorRunId();
    let bundle: GvisorBundle;
    try {
      await fsp.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      bundle = await writeGvisorBundle({
        stateRoot: this.stateRoot,
        runId,
        rootfs: this.rootfs,
        packageDir: launch.packageDir,
        runtime: launch.runtime,
        entry: launch.entry,
        memoryMb: launch.memoryMb,
        env: launch.env,
        scratchMb: this.scratchMb,
        // A warm bundle is written before its intent is known.
        annotations: warm ? { agent_id: launch.agentId, warm: 'true' } : { agent_id: launch.agentId, intent_id: use.intentId as string },
      });
    } catch (err) {
      await removeGvisorBundle(path.join(this.stateRoot, runId));
      throw new LaunchRefused('spawn_failed', `could not prepare the gVisor bundle: ${(err as Error).message}`);
    }
    return {
      runId,
      bundleDir: bundle.dir,
      runsc: plan.runsc,
      spawn: {
        command: plan.runsc,
        args: [...this.globalFlags(), 'run', '--bundle', bundle.dir, runId],
        cwd: bundle.dir,
        env: this.runscEnv(),
        // covenantd gone (killed, crashed): the launcher stops the sandbox the way signal() and
        // cleanup() would; a SIGKILLed `runsc run` would leave it running.
        orphanStop: {
          kill: this.controlCommand(plan.runsc, ['kill', runId, 'KILL']),
          settleMs: RUNSC_EXIT_AFTER_KILL_MS,
          cleanup: this.controlCommand(plan.runsc, ['delete', '--force', runId]),
        },
      },
    };
  }

  /**
   * `runsc kill <id> TERM|KILL`. KILL makes `runsc run` exit (137) and clean up the container
   * itself within tens of milliseconds; SIGKILLing runsc first would leave a stopped sandbox that
   * `runsc delete --force` needs seconds to reap.
   */
  async signal(prepared: GvisorPrepared, signal: 'SIGTERM' | 'SIGKILL'): Promise<boolean> {
    return (await this.control(prepared.runsc, ['kill', prepared.runId, signal === 'SIGTERM' ? 'TERM' : 'KILL'])) === 0;
  }

  async cleanup(prepared: GvisorPrepared, abnormal: boolean): Promise<void> {
    if (abnormal) await this.forceDelete(prepared.runsc, prepared.runId);
    await removeGvisorBundle(prepared.bundleDir);
  }

  spawnFailure(err: NodeJS.ErrnoException): Failure {
    if (err.code === 'ENOENT' || err.code === 'EACCES') {
      return { reason: 'sandbox_unavailable', message: `runsc could not be executed (${err.code}): ${RUNSC_INSTALL_FIX}` };
    }
    return { reason: 'spawn_failed', message: `could not start runsc: ${err.message}` };
  }

  /** runsc's own failures (exit 128 "... container:") and the memory limit's kill (137). */
  exitFailure(exit: ExitFacts, plan: GvisorPlan): (Failure & { abnormal?: boolean }) | undefined {
    const { exitCode, stderr } = exit;
    if (exitCode === 128 && /\b(creating|starting|running) container:/.test(stderr)) {
      const note = stderr === '' ? '' : `: ${summarizeStderr(stderr)}`;
      if (/cgroup|permission denied|operation not permitted/i.test(stderr)) {
        return {
          reason: 'sandbox_unavailable',
          message: `runsc could not set up the sandbox${note} (run covenantd as root so runsc can create cgroups; see docs/gvisor-runner.md)`,
          abnormal: true,
        };
      }
      return { reason: 'spawn_failed', message: `runsc could not start the agent${note}`, abnormal: true };
    }
    if (exitCode === 137) {
      const hint = ` (killed inside the sandbox: the ${plan.launch.memoryMb} MiB memory limit may have been hit)`;
      return { reason: 'nonzero_exit', message: `exited with code 137${hint}${exit.stderrSuffix}` };
    }
    return undefined;
  }

  private globalFlags(): string[] {
    return ['--network=none', '--root', this.stateDir, ...this.extraRunscFlags];
  }

  private runscEnv(): Record<string, string> {
    return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  }

  private controlCommand(runsc: string, args: string[]): ControlCommand {
    return { command: runsc, args: [...this.globalFlags(), ...args], env: this.runscEnv() };
  }

  /** Runs a runsc control command (kill, delete); resolves with its exit code, never rejects. */
  private control(runsc: string, args: string[]): Promise<number | null> {
    return runControl(this.controlCommand(runsc, args), CONTROL_TIMEOUT_MS);
  }

  /** `runsc delete --force <id>` plus the lock file runsc leaves behind for a killed sandbox. */
  private async forceDelete(runsc: string, runId: string): Promise<void> {
    await this.control(runsc, ['delete', '--force', runId]);
    try {
      for (const name of await fsp.readdir(this.stateDir)) {
        // runsc names per-container state files after the container id (a UUID we chose).
        if (name.startsWith(`${runId}_`) || name.startsWith(`${runId}.`)) {
          await fsp.rm(path.join(this.stateDir, name), { force: true, recursive: true });
        }
      }
    } catch {
      // best effort
    }
  }
}

/**
 * The gVisor runner. Unlike the host runners it refuses runs once closed: close() waits until
 * every container and bundle is gone, and a later run would leave ones nobody waits for.
 */
export class GvisorRunner extends AgentSupervisor<GvisorPlan, GvisorPrepared> {
  /** The sweep of what a killed covenantd left (`GvisorBackend.sweepLeftovers`), started with the runner. */
  private readonly swept: Promise<void>;

  constructor(options: GvisorRunnerOptions) {
    const backend = new GvisorBackend(options);
    super(backend, {
      refuseAfterClose: true,
      ...(options.launcher === undefined ? {} : { launcher: options.launcher }),
      ...(options.warm === undefined ? {} : { warm: options.warm }),
      ...(options.graceMs === undefined ? {} : { killGraceMs: options.graceMs }),
      ...(options.runClock === undefined ? {} : { runClock: options.runClock }),
      ...(options.stdoutCapBytes === undefined ? {} : { maxStdoutBytes: options.stdoutCapBytes }),
    });
    this.swept = backend.sweepLeftovers().catch(() => undefined);
  }

  override async close(): Promise<void> {
    await super.close();
    await this.swept;
  }
}
