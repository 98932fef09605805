/**
 * The linux-gvisor runner: every intent runs in a fresh gVisor sandbox.
 *
 *   runsc --network=none --root <stateRoot>/state [extra flags] run --bundle <stateRoot>/<id> <id>
 *
 * Protocol (same as the trusted-local runner): the intent as one JSON line on stdin, then EOF;
 * the first non-empty stdout line is the answer `{text, sources?, files?}`. Timeout and
 * cancellation send SIGTERM to the container (`runsc kill <id> TERM`), wait the grace period,
 * then `runsc kill <id> KILL` (and SIGKILL the runsc process group if runsc has not exited 1 s
 * later); a run that was killed or whose sandbox died is then cleaned with
 * `runsc delete --force <id>`. Stdout above the cap kills
 * the sandbox at once. The bundle directory is removed on every path, and host paths in
 * messages are redacted (`$COVENANT_HOME/...`). If runsc or the rootfs is missing the run is
 * refused with `sandbox_unavailable` and a fix line: there is never an unsandboxed fallback.
 *
 * Warm runs (SPEC 12 "Latency", when the `warm` option says so for an agent): the runner keeps
 * one `runsc run` per agent started ahead of time on a bundle `<stateRoot>/warm-<uuid>/`: the
 * sandbox has booted and the agent has started and is blocked reading stdin. A dispatch hands it
 * the intent on stdin and then drives it exactly like a cold run (same timeout, kill sequence,
 * caps, cleanup); each warm run serves one intent. The replacement is started in the background
 * once the run is over. A warm run that is gone or printed something before its intent is
 * discarded (killed, `runsc delete --force`, bundle removed) and the intent runs cold.
 * (A created-but-not-started container, `runsc create` + `runsc start`, was tried first and
 * rejected: see docs/gvisor-runner.md, "Warm runs".)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CovenantError } from '../../core/errors.js';
import { DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_STDOUT_BYTES, parseAnswer, type AgentLaunch } from '../local-runner.js';
import type { AgentFailureReason, AgentRunner, AgentRunRequest, AgentRunResult } from '../runner.js';
import {
  GVISOR_INTERPRETERS,
  GVISOR_STATE_DIRNAME,
  newGvisorRunId,
  removeGvisorBundle,
  writeGvisorBundle,
  type GvisorBundle,
} from './bundle.js';
import { RUNSC_INSTALL_FIX, inspectRootfs, locateRunsc, resolveInRootfs } from './readiness.js';

/** Same defaults as the trusted-local runner. */
export const DEFAULT_GVISOR_GRACE_MS = DEFAULT_KILL_GRACE_MS;
export const DEFAULT_GVISOR_STDOUT_CAP_BYTES = DEFAULT_MAX_STDOUT_BYTES;
/** How long to wait for runsc to exit after SIGKILL before giving up on it. */
const KILL_BACKSTOP_MS = 5000;
/** After `runsc kill <id> KILL`, how long runsc run may take to exit before it is SIGKILLed. */
const RUNSC_EXIT_AFTER_KILL_MS = 1000;
/** How long `runsc kill` / `runsc delete` may take. */
const CONTROL_TIMEOUT_MS = 10_000;
/** Kept from the end of stderr for error messages. */
const STDERR_TAIL_BYTES = 8 * 1024;
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
}

/** A `runsc run` started ahead of time whose agent waits on stdin for its one intent. */
interface WarmContainer {
  runId: string;
  bundle: GvisorBundle;
  fingerprint: string;
  proc: SandboxProcess;
  disposed: boolean;
}

interface WarmSlot {
  fingerprint: string;
  /** The warm run once its bundle is written and runsc started; null if that failed or the slot was dropped. */
  ready: Promise<WarmContainer | null>;
  /** Set when the slot leaves the pool for any reason but a run taking it. */
  dropped: boolean;
}

interface WarmSpec {
  key: string;
  fingerprint: string;
  launch: AgentLaunch;
}

type KillCause = 'timeout' | 'stdout_overflow' | 'aborted';

interface ActiveRun {
  terminate(cause: KillCause): void;
  done: Promise<unknown>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Makes text safe to embed in a one-line message: control characters become '?'. */
function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are replaced
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

/** The informative part of a stderr tail: the first lines (the error) and the last ones. */
function summarizeStderr(stderr: string): string {
  const lines = stderr
    .split(/\r?\n/)
    .map((line) => sanitize(line).trim())
    .filter((line) => line !== '');
  let picked = lines;
  if (lines.length > 6) {
    const errorLine = lines.findIndex((line) => /(Error|Exception)\b|^error\b/i.test(line));
    picked = [...lines.slice(0, 2)];
    if (errorLine >= 2) picked.push('…', lines[errorLine] as string);
    picked.push('…', lines[lines.length - 1] as string);
  }
  const text = picked.join(' | ');
  return text.length > 1000 ? `${text.slice(0, 999)}…` : text;
}

/** The pool key and fingerprint of what a warm run is started for. */
function warmSpecOf(launch: AgentLaunch): WarmSpec {
  const packageDir = path.resolve(launch.packageDir);
  const env = Object.entries(launch.env ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    key: `${launch.agentId}\0${packageDir}`,
    fingerprint: JSON.stringify([packageDir, launch.runtime, launch.entry, launch.memoryMb, env]),
    launch: {
      agentId: launch.agentId,
      packageDir,
      runtime: launch.runtime,
      entry: launch.entry,
      memoryMb: launch.memoryMb,
      ...(launch.env === undefined ? {} : { env: { ...launch.env } }),
    },
  };
}

export class GvisorRunner implements AgentRunner {
  readonly backend = 'linux-gvisor' as const;

  private readonly runscPath: string | undefined;
  private readonly rootfs: string;
  private readonly stateRoot: string;
  private readonly stateDir: string;
  private readonly graceMs: number;
  private readonly stdoutCapBytes: number;
  private readonly extraRunscFlags: string[];
  private readonly scratchMb: number | undefined;
  private readonly redactions: Array<{ pattern: RegExp; replacement: string }>;
  private readonly active = new Set<ActiveRun>();
  private readonly warm: (launch: AgentLaunch) => boolean;
  private readonly pool = new Map<string, WarmSlot>();
  private closed = false;

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
    this.graceMs = options.graceMs ?? DEFAULT_GVISOR_GRACE_MS;
    this.stdoutCapBytes = options.stdoutCapBytes ?? DEFAULT_GVISOR_STDOUT_CAP_BYTES;
    this.extraRunscFlags = [...(options.extraRunscFlags ?? [])];
    this.scratchMb = options.scratchMb;
    const warm = options.warm ?? false;
    this.warm = typeof warm === 'function' ? warm : () => warm;

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

  /** Replaces host path prefixes ($COVENANT_HOME, the user's home) in a message. */
  redact(message: string): string {
    let out = message;
    for (const { pattern, replacement } of this.redactions) out = out.replace(pattern, replacement);
    return out;
  }

  /** Why this runner cannot run `runtime` agents right now (with a fix line), or null. */
  unavailableReason(runtime: AgentRunRequest['runtime']): string | null {
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

  async run(request: AgentRunRequest): Promise<AgentRunResult> {
    const started = performance.now();
    const wallMs = (): number => Math.max(0, Math.round(performance.now() - started));
    const fail = (reason: AgentFailureReason, message: string, exitCode?: number | null): AgentRunResult => {
      const result: AgentRunResult = { ok: false, reason, message: this.redact(message), wallMs: wallMs() };
      if (exitCode !== undefined) result.exitCode = exitCode;
      return result;
    };
    const agent = request.agentId;

    if (this.closed) return fail('aborted', `agent ${agent}: not run, the gVisor runner is closed`);
    if (request.signal?.aborted) return fail('aborted', `agent ${agent}: run aborted before it started`);

    const unavailable = this.unavailableReason(request.runtime);
    if (unavailable !== null) return fail('sandbox_unavailable', `agent ${agent}: cannot run in gVisor: ${unavailable}`);
    const runsc = locateRunsc(this.runscPath).path as string;

    let packageOk: boolean;
    try {
      packageOk = statSync(request.packageDir).isDirectory();
    } catch {
      packageOk = false;
    }
    if (!packageOk) return fail('spawn_failed', `agent ${agent}: package directory ${request.packageDir} is missing`);

    const warmSpec = this.closed || !this.warm(request) ? null : warmSpecOf(request);
    try {
      if (warmSpec !== null) {
        const container = await this.takeWarm(warmSpec);
        if (container !== null) {
          const result = await this.runWarm(request, runsc, container, fail, wallMs);
          if (result !== null) return result;
          // The warm run was gone (or had printed) before its intent: the intent runs cold.
        }
      }
      return await this.runCold(request, runsc, fail, wallMs);
    } finally {
      // The replacement is prepared once this run is over, so it does not compete with it.
      if (warmSpec !== null) this.fillWarm(warmSpec);
    }
  }

  /** One `runsc run` with a fresh bundle, started now (warm off, or no usable warm run). */
  private async runCold(
    request: AgentRunRequest,
    runsc: string,
    fail: (reason: AgentFailureReason, message: string, exitCode?: number | null) => AgentRunResult,
    wallMs: () => number,
  ): Promise<AgentRunResult> {
    const agent = request.agentId;
    let bundle: GvisorBundle;
    try {
      bundle = await this.writeBundle(newGvisorRunId(), request, { agent_id: agent, intent_id: request.intent.intent_id });
    } catch (err) {
      return fail('spawn_failed', `agent ${agent}: could not prepare the gVisor bundle: ${(err as Error).message}`);
    }

    try {
      return await this.drive(request, runsc, this.spawnSandbox(runsc, bundle), fail, wallMs);
    } finally {
      await removeGvisorBundle(bundle.dir);
    }
  }

  /**
   * Kills every running sandbox (as an abort) and every warm run (container deleted, bundle
   * removed), and waits for all of that cleanup.
   */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.active];
    for (const run of runs) run.terminate('aborted');
    const slots = [...this.pool.values()];
    this.pool.clear();
    for (const slot of slots) slot.dropped = true;
    await Promise.allSettled([
      ...runs.map((run) => run.done),
      ...slots.map(async (slot) => {
        const container = await slot.ready;
        if (container !== null) await this.disposeWarm(container);
      }),
    ]);
  }

  /** Starts the warm run of an agent now (install, daemon start), if none is there. */
  prewarm(launch: AgentLaunch): void {
    if (this.closed || !this.warm(launch)) return;
    if (this.unavailableReason(launch.runtime) !== null) return; // the first run reports it
    this.fillWarm(warmSpecOf(launch));
  }

  /** Kills and deletes the warm run of an agent (removed or reinstalled). */
  async evict(agentId: string): Promise<void> {
    const slots: WarmSlot[] = [];
    for (const [key, slot] of this.pool) {
      if (key.startsWith(`${agentId}\0`)) {
        this.pool.delete(key);
        slot.dropped = true;
        slots.push(slot);
      }
    }
    await Promise.allSettled(
      slots.map(async (slot) => {
        const container = await slot.ready;
        if (container !== null) await this.disposeWarm(container);
      }),
    );
  }

  /** Number of agents with a warm run waiting or being started (status and tests). */
  get warmCount(): number {
    return this.pool.size;
  }

  /** Starts the warm run for `spec` unless one with the same fingerprint exists. */
  private fillWarm(spec: WarmSpec): void {
    if (this.closed) return;
    const existing = this.pool.get(spec.key);
    if (existing !== undefined) {
      if (existing.fingerprint === spec.fingerprint) return;
      this.pool.delete(spec.key);
      existing.dropped = true;
      void existing.ready.then((container) => (container === null ? undefined : this.disposeWarm(container)));
    }
    const runsc = locateRunsc(this.runscPath);
    if (!runsc.found || runsc.path === null || runsc.path === undefined) return;
    const runscPath = runsc.path;
    const slot: WarmSlot = { fingerprint: spec.fingerprint, ready: Promise.resolve(null), dropped: false };
    slot.ready = this.createWarm(runscPath, spec).then(async (container) => {
      if (container === null) {
        // Creation failed: forget the slot; the next run goes cold and tries again afterwards.
        if (this.pool.get(spec.key) === slot) this.pool.delete(spec.key);
        return null;
      }
      if (slot.dropped) {
        // closed, evicted or replaced while it was being created
        await this.disposeWarm(container);
        return null;
      }
      return container;
    });
    this.pool.set(spec.key, slot);
  }

  /** Takes the agent's warm run out of the pool (waiting if its bundle is being written). */
  private async takeWarm(spec: WarmSpec): Promise<WarmContainer | null> {
    const slot = this.pool.get(spec.key);
    if (slot === undefined) return null;
    this.pool.delete(spec.key);
    const container = await slot.ready;
    if (container === null) return null;
    if (container.fingerprint !== spec.fingerprint || this.closed) {
      await this.disposeWarm(container);
      return null;
    }
    return container;
  }

  /** Writes a run's OCI bundle; on failure no half-written directory is left behind. */
  private async writeBundle(
    runId: string,
    launch: Pick<AgentRunRequest, 'packageDir' | 'runtime' | 'entry' | 'memoryMb' | 'env'>,
    annotations: Record<string, string>,
  ): Promise<GvisorBundle> {
    try {
      await fsp.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      return await writeGvisorBundle({
        stateRoot: this.stateRoot,
        runId,
        rootfs: this.rootfs,
        packageDir: launch.packageDir,
        runtime: launch.runtime,
        entry: launch.entry,
        memoryMb: launch.memoryMb,
        env: launch.env,
        scratchMb: this.scratchMb,
        annotations,
      });
    } catch (err) {
      await removeGvisorBundle(path.join(this.stateRoot, runId));
      throw err;
    }
  }

  /**
   * Writes the bundle of a warm run and starts `runsc run` on it at once: the sandbox boots and
   * the agent starts and blocks on stdin until a run hands it an intent. Null if that fails.
   */
  private async createWarm(runsc: string, spec: WarmSpec): Promise<WarmContainer | null> {
    const { launch } = spec;
    const runId = `${GVISOR_WARM_PREFIX}${newGvisorRunId()}`;
    let bundle: GvisorBundle;
    try {
      bundle = await this.writeBundle(runId, launch, { agent_id: launch.agentId, warm: 'true' });
    } catch {
      return null;
    }
    if (this.closed) {
      await removeGvisorBundle(bundle.dir);
      return null;
    }
    const proc = this.spawnSandbox(runsc, bundle);
    proc.setRef(false);
    return { runId, bundle, fingerprint: spec.fingerprint, proc, disposed: false };
  }

  /** Stops an unused warm run (kill, delete --force) and removes its bundle. Idempotent. */
  private async disposeWarm(container: WarmContainer): Promise<void> {
    if (container.disposed) return;
    container.disposed = true;
    const { proc } = container;
    proc.setRef(true); // whoever waits for this cleanup keeps the process alive until it is done
    const runsc = locateRunsc(this.runscPath);
    if (proc.child !== null && !proc.exited && runsc.found && runsc.path) {
      // Same order as a timeout: `runsc kill KILL` lets `runsc run` exit and clean up itself.
      await this.control(runsc.path, ['kill', container.runId, 'KILL']);
      await Promise.race([proc.whenExited, delay(RUNSC_EXIT_AFTER_KILL_MS)]);
    }
    proc.killGroup();
    await Promise.race([proc.whenExited, delay(KILL_BACKSTOP_MS)]);
    proc.destroyStdio();
    if (runsc.found && runsc.path) await this.forceDelete(runsc.path, container.runId);
    await removeGvisorBundle(container.bundle.dir);
  }

  /** Hands the intent to a warm run; null if it is no longer usable (the caller runs cold). */
  private async runWarm(
    request: AgentRunRequest,
    runsc: string,
    container: WarmContainer,
    fail: (reason: AgentFailureReason, message: string, exitCode?: number | null) => AgentRunResult,
    wallMs: () => number,
  ): Promise<AgentRunResult | null> {
    if (!container.proc.usable) {
      await this.disposeWarm(container);
      return null;
    }
    container.disposed = true; // from here on, drive() and the finally below own its cleanup
    try {
      return await this.drive(request, runsc, container.proc, fail, wallMs);
    } finally {
      await removeGvisorBundle(container.bundle.dir);
    }
  }

  private globalFlags(): string[] {
    return ['--network=none', '--root', this.stateDir, ...this.extraRunscFlags];
  }

  private runscEnv(): NodeJS.ProcessEnv {
    return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' };
  }

  /** Runs a runsc control command (kill, delete); resolves with its exit code, never rejects. */
  private control(runsc: string, args: string[]): Promise<number | null> {
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn(runsc, [...this.globalFlags(), ...args], {
          stdio: 'ignore',
          env: this.runscEnv(),
          timeout: CONTROL_TIMEOUT_MS,
          killSignal: 'SIGKILL',
        });
      } catch {
        resolve(null);
        return;
      }
      child.once('error', () => resolve(null));
      child.once('exit', (code) => resolve(code));
    });
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

  /** The result of a finished run, from what was observed (shared by the cold and warm paths). */
  private outcome(
    request: AgentRunRequest,
    fail: (reason: AgentFailureReason, message: string, exitCode?: number | null) => AgentRunResult,
    wallMs: () => number,
    o: {
      cause: KillCause | null;
      spawnError: Error | null;
      exitCode: number | null;
      exitSignal: NodeJS.Signals | null;
      sandboxFailed: boolean;
      stderr: string;
      stdout: string;
    },
  ): AgentRunResult {
    const agent = request.agentId;
    const { cause, spawnError, exitCode, exitSignal, sandboxFailed, stderr } = o;
    const stderrNote = stderr === '' ? '' : `: ${summarizeStderr(stderr)}`;
    const stderrSuffix = stderr === '' ? ' (no stderr)' : `; stderr: ${summarizeStderr(stderr)}`;
    if (spawnError !== null) {
      const code = (spawnError as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES') {
        return fail('sandbox_unavailable', `agent ${agent}: runsc could not be executed (${code}): ${RUNSC_INSTALL_FIX}`);
      }
      return fail('spawn_failed', `agent ${agent}: could not start runsc: ${spawnError.message}`);
    }
    if (cause === 'timeout') {
      return fail('timeout', `agent ${agent}: timed out after ${Math.max(1, Math.floor(request.timeoutMs))} ms; its sandbox was killed`, exitCode);
    }
    if (cause === 'stdout_overflow') {
      return fail('stdout_overflow', `agent ${agent}: stdout exceeded ${this.stdoutCapBytes} bytes; its sandbox was killed`, exitCode);
    }
    if (cause === 'aborted') {
      return fail('aborted', `agent ${agent}: run aborted; its sandbox was killed`, exitCode);
    }
    if (sandboxFailed) {
      if (/cgroup|permission denied|operation not permitted/i.test(stderr)) {
        return fail(
          'sandbox_unavailable',
          `agent ${agent}: runsc could not set up the sandbox${stderrNote} (run covenantd as root so runsc can create cgroups; see docs/gvisor-runner.md)`,
          exitCode,
        );
      }
      return fail('spawn_failed', `agent ${agent}: runsc could not start the agent${stderrNote}`, exitCode);
    }
    if (exitSignal !== null) {
      return fail('nonzero_exit', `agent ${agent}: its sandbox was killed by signal ${exitSignal}${stderrSuffix}`, null);
    }
    if (exitCode !== 0) {
      const hint = exitCode === 137 ? ` (killed inside the sandbox: the ${request.memoryMb} MiB memory limit may have been hit)` : '';
      return fail('nonzero_exit', `agent ${agent}: exited with code ${String(exitCode)}${hint}${stderrSuffix}`, exitCode);
    }
    const parsed = parseAnswer(o.stdout);
    if (!parsed.ok) return fail('malformed_output', `agent ${agent}: malformed output: ${parsed.problem}`, exitCode);
    return { ok: true, answer: parsed.answer, wallMs: wallMs() };
  }

  /** Starts `runsc run` on a bundle; its output is collected from the start. */
  private spawnSandbox(runsc: string, bundle: GvisorBundle): SandboxProcess {
    return new SandboxProcess(runsc, [...this.globalFlags(), 'run', '--bundle', bundle.dir, bundle.runId], {
      runId: bundle.runId,
      cwd: bundle.dir,
      env: this.runscEnv(),
      stdoutCapBytes: this.stdoutCapBytes,
    });
  }

  /**
   * Gives a running `runsc run` its intent on stdin and waits for the outcome: timeout, abort,
   * stdout cap, exit. Kills and cleans the sandbox when it did not end normally.
   */
  private drive(
    request: AgentRunRequest,
    runsc: string,
    proc: SandboxProcess,
    fail: (reason: AgentFailureReason, message: string, exitCode?: number | null) => AgentRunResult,
    wallMs: () => number,
  ): Promise<AgentRunResult> {
    const runId = proc.runId;
    const child = proc.child;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });
    proc.setRef(true);

    return new Promise<AgentRunResult>((resolve) => {
      let cause: KillCause | null = null;
      let finished = false;
      const timers: NodeJS.Timeout[] = [];
      const later = (ms: number, fn: () => void): void => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        timers.push(t);
      };

      let hardKilled = false;
      const hardKill = (): void => {
        if (hardKilled || finished) return;
        hardKilled = true;
        // `runsc kill KILL` makes `runsc run` exit (137) and clean up the container itself within
        // tens of milliseconds; SIGKILLing runsc first would leave a stopped sandbox that
        // `runsc delete --force` needs seconds to reap. So the runsc process group is only
        // SIGKILLed if it is still there shortly after (or if `runsc kill` itself failed).
        void this.control(runsc, ['kill', runId, 'KILL']).then((code) => {
          if (code !== 0) proc.killGroup();
          else later(RUNSC_EXIT_AFTER_KILL_MS, () => proc.killGroup());
        });
        // If runsc does not go away after SIGKILL, stop waiting for it.
        later(KILL_BACKSTOP_MS, () => {
          proc.destroyOutput();
          void finish();
        });
      };

      const terminate = (why: KillCause): void => {
        if (finished || proc.exited) return;
        if (why === 'stdout_overflow') {
          if (cause === null) cause = why;
          hardKill();
          return;
        }
        if (cause !== null) return;
        cause = why;
        // KILL only once `runsc kill TERM` has returned, so the two never arrive out of order.
        const termSent = this.control(runsc, ['kill', runId, 'TERM']);
        later(this.graceMs, () => void termSent.then(hardKill));
      };

      const run: ActiveRun = { terminate, done };
      this.active.add(run);
      // close() or an abort that came while the bundle was being written finds no run to stop.
      if (this.closed) terminate('aborted');

      const onAbort = (): void => terminate('aborted');
      request.signal?.addEventListener('abort', onAbort, { once: true });
      if (request.signal?.aborted) terminate('aborted');
      later(Math.max(1, request.timeoutMs), () => terminate('timeout'));

      const finish = async (): Promise<void> => {
        if (finished) return;
        finished = true;
        for (const t of timers) clearTimeout(t);
        request.signal?.removeEventListener('abort', onAbort);
        try {
          const result = await interpret();
          resolve(result);
        } finally {
          this.active.delete(run);
          resolveDone();
        }
      };

      // Decides the outcome once runsc is gone; cleans the container state when needed.
      const interpret = async (): Promise<AgentRunResult> => {
        const stderr = this.redact(proc.stderrText().trim());
        const sandboxFailed = proc.exitCode === 128 && /\b(creating|starting|running) container:/.test(stderr);
        const abnormal =
          cause !== null || proc.spawnError !== null || proc.exitSignal !== null || sandboxFailed || !proc.exited;
        if (abnormal && child?.pid !== undefined) {
          proc.killGroup();
          await this.forceDelete(runsc, runId);
        }
        return this.outcome(request, fail, wallMs, {
          cause,
          spawnError: proc.spawnError,
          exitCode: proc.exitCode,
          exitSignal: proc.exitSignal,
          sandboxFailed,
          stderr,
          stdout: proc.stdoutText(),
        });
      };

      proc.onOverflow = () => terminate('stdout_overflow');
      proc.onExit = () => {
        // Sandbox helpers may hold the pipes a moment longer; do not wait for them forever.
        later(2000, () => {
          proc.destroyOutput();
          void finish();
        });
      };
      proc.onClose = () => void finish();

      if (proc.closed) {
        void finish();
        return;
      }
      if (proc.exited) proc.onExit();
      if (proc.overflowed) terminate('stdout_overflow');
      child?.stdin?.end(`${JSON.stringify(request.intent)}\n`);
    });
  }
}

/** One `runsc run` child: its output is collected from the moment it starts. */
class SandboxProcess {
  readonly runId: string;
  readonly child: ChildProcess | null;
  readonly whenExited: Promise<void>;
  spawnError: Error | null = null;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  exited = false;
  closed = false;
  overflowed = false;
  onOverflow: (() => void) | undefined;
  onExit: (() => void) | undefined;
  onClose: (() => void) | undefined;

  private readonly stdoutChunks: Buffer[] = [];
  private stdoutBytes = 0;
  private stderrTail = Buffer.alloc(0);

  constructor(
    command: string,
    args: string[],
    options: { runId: string; cwd: string; env: NodeJS.ProcessEnv; stdoutCapBytes: number },
  ) {
    this.runId = options.runId;
    let resolveExited!: () => void;
    this.whenExited = new Promise((r) => {
      resolveExited = r;
    });
    let child: ChildProcess | null;
    try {
      child = spawn(command, args, { cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'], detached: true, env: options.env });
    } catch (err) {
      child = null;
      this.spawnError = err as Error;
      this.exited = true;
      this.closed = true;
      resolveExited();
    }
    this.child = child;
    if (child === null) return;

    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.overflowed) return;
      this.stdoutBytes += chunk.length;
      if (this.stdoutBytes > options.stdoutCapBytes) {
        this.overflowed = true;
        this.stdoutChunks.length = 0;
        this.onOverflow?.();
        return;
      }
      this.stdoutChunks.push(chunk);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrTail = Buffer.concat([this.stderrTail, chunk]);
      if (this.stderrTail.length > STDERR_TAIL_BYTES) {
        this.stderrTail = this.stderrTail.subarray(this.stderrTail.length - STDERR_TAIL_BYTES);
      }
    });
    child.stdin?.on('error', () => {
      // EPIPE when the agent exits without reading: the outcome comes from its exit.
    });
    child.once('error', (err) => {
      this.spawnError = err;
      if (child.pid === undefined) {
        this.exited = true;
        this.closed = true;
        resolveExited();
        this.onClose?.();
      }
    });
    child.once('exit', (code, signal) => {
      this.exited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      resolveExited();
      this.onExit?.();
    });
    child.once('close', () => {
      this.closed = true;
      this.onClose?.();
    });
  }

  /** Still waiting for its intent: not exited, no overflow, nothing on stdout yet. */
  get usable(): boolean {
    return this.child !== null && this.spawnError === null && !this.exited && !this.overflowed && this.stdoutBytes === 0;
  }

  stdoutText(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  stderrText(): string {
    return this.stderrTail.toString('utf8');
  }

  /** An idle warm run must not keep the daemon's event loop alive. */
  setRef(ref: boolean): void {
    const child = this.child;
    if (child === null) return;
    for (const target of [child, child.stdin, child.stdout, child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null>) {
      if (target) (ref ? target.ref : target.unref)?.call(target);
    }
  }

  /** SIGKILLs the runsc process group (its last resort). */
  killGroup(): void {
    const pid = this.child?.pid;
    if (pid === undefined || this.exited) return;
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      try {
        this.child?.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  destroyOutput(): void {
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
  }

  destroyStdio(): void {
    this.child?.stdin?.destroy();
    this.destroyOutput();
  }
}

const delay = (ms: number): Promise<void> =>
  new Promise((resolve) => {
    setTimeout(resolve, ms).unref?.();
  });
