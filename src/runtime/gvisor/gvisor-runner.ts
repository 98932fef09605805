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
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fsp, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CovenantError } from '../../core/errors.js';
import { DEFAULT_KILL_GRACE_MS, DEFAULT_MAX_STDOUT_BYTES, parseAnswer } from '../local-runner.js';
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
  // eslint-disable-next-line no-control-regex
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

    let packageOk = false;
    try {
      packageOk = statSync(request.packageDir).isDirectory();
    } catch {
      packageOk = false;
    }
    if (!packageOk) return fail('spawn_failed', `agent ${agent}: package directory ${request.packageDir} is missing`);

    const runId = newGvisorRunId();
    let bundle: GvisorBundle;
    try {
      await fsp.mkdir(this.stateDir, { recursive: true, mode: 0o700 });
      bundle = await writeGvisorBundle({
        stateRoot: this.stateRoot,
        runId,
        rootfs: this.rootfs,
        packageDir: request.packageDir,
        runtime: request.runtime,
        entry: request.entry,
        memoryMb: request.memoryMb,
        env: request.env,
        scratchMb: this.scratchMb,
        annotations: { agent_id: agent, intent_id: request.intent.intent_id },
      });
    } catch (err) {
      // writeGvisorBundle removes its own half-written directory; make sure of it.
      await removeGvisorBundle(path.join(this.stateRoot, runId));
      return fail('spawn_failed', `agent ${agent}: could not prepare the gVisor bundle: ${(err as Error).message}`);
    }

    try {
      return await this.execute(request, runsc, bundle, fail, wallMs);
    } finally {
      await removeGvisorBundle(bundle.dir);
    }
  }

  /** Kills every running sandbox (as an abort) and waits for their cleanup. */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.active];
    for (const run of runs) run.terminate('aborted');
    await Promise.allSettled(runs.map((run) => run.done));
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

  private execute(
    request: AgentRunRequest,
    runsc: string,
    bundle: GvisorBundle,
    fail: (reason: AgentFailureReason, message: string, exitCode?: number | null) => AgentRunResult,
    wallMs: () => number,
  ): Promise<AgentRunResult> {
    const agent = request.agentId;
    const runId = bundle.runId;
    let resolveDone!: () => void;
    const done = new Promise<void>((r) => {
      resolveDone = r;
    });

    return new Promise<AgentRunResult>((resolve) => {
      const stdoutChunks: Buffer[] = [];
      let stdoutBytes = 0;
      let stderrTail = Buffer.alloc(0);
      let cause: KillCause | null = null;
      let spawnError: Error | null = null;
      let exitCode: number | null = null;
      let exitSignal: NodeJS.Signals | null = null;
      let exited = false;
      let finished = false;
      const timers: NodeJS.Timeout[] = [];
      const later = (ms: number, fn: () => void): void => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        timers.push(t);
      };

      let child: ChildProcess;
      try {
        child = spawn(runsc, [...this.globalFlags(), 'run', '--bundle', bundle.dir, runId], {
          cwd: bundle.dir,
          stdio: ['pipe', 'pipe', 'pipe'],
          detached: true,
          env: this.runscEnv(),
        });
      } catch (err) {
        resolveDone();
        resolve(fail('spawn_failed', `agent ${agent}: could not start runsc: ${(err as Error).message}`));
        return;
      }

      const killGroup = (): void => {
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          try {
            child.kill('SIGKILL');
          } catch {
            // already gone
          }
        }
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
          if (code !== 0) killGroup();
          else later(RUNSC_EXIT_AFTER_KILL_MS, killGroup);
        });
        // If runsc does not go away after SIGKILL, stop waiting for it.
        later(KILL_BACKSTOP_MS, () => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          void finish();
        });
      };

      const terminate = (why: KillCause): void => {
        if (finished || exited) return;
        if (why === 'stdout_overflow') {
          if (cause === null) cause = why;
          hardKill();
          return;
        }
        if (cause !== null) return;
        cause = why;
        void this.control(runsc, ['kill', runId, 'TERM']);
        later(this.graceMs, hardKill);
      };

      const run: ActiveRun = { terminate, done };
      this.active.add(run);

      const onAbort = (): void => terminate('aborted');
      request.signal?.addEventListener('abort', onAbort, { once: true });
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
        const stderr = this.redact(stderrTail.toString('utf8').trim());
        const stderrNote = stderr === '' ? '' : `: ${summarizeStderr(stderr)}`;
        const stderrSuffix = stderr === '' ? ' (no stderr)' : `; stderr: ${summarizeStderr(stderr)}`;
        const sandboxFailed =
          exitCode === 128 && /\b(creating|starting|running) container:/.test(stderr);
        const abnormal = cause !== null || spawnError !== null || exitSignal !== null || sandboxFailed || !exited;
        if (abnormal && child.pid !== undefined) {
          killGroup();
          await this.forceDelete(runsc, runId);
        }
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
        const parsed = parseAnswer(Buffer.concat(stdoutChunks).toString('utf8'));
        if (!parsed.ok) return fail('malformed_output', `agent ${agent}: malformed output: ${parsed.problem}`, exitCode);
        return { ok: true, answer: parsed.answer, wallMs: wallMs() };
      };

      child.stdout?.on('data', (chunk: Buffer) => {
        if (cause === 'stdout_overflow') return;
        stdoutBytes += chunk.length;
        if (stdoutBytes > this.stdoutCapBytes) {
          stdoutChunks.length = 0;
          terminate('stdout_overflow');
          return;
        }
        stdoutChunks.push(chunk);
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        stderrTail = Buffer.concat([stderrTail, chunk]);
        if (stderrTail.length > STDERR_TAIL_BYTES) stderrTail = stderrTail.subarray(stderrTail.length - STDERR_TAIL_BYTES);
      });
      child.stdin?.on('error', () => {
        // EPIPE when the agent exits without reading: the outcome comes from its exit.
      });
      child.once('error', (err) => {
        spawnError = err;
        if (child.pid === undefined) void finish();
      });
      child.once('exit', (code, signal) => {
        exited = true;
        exitCode = code;
        exitSignal = signal;
        // Sandbox helpers may hold the pipes a moment longer; do not wait for them forever.
        later(2000, () => {
          child.stdout?.destroy();
          child.stderr?.destroy();
          void finish();
        });
      });
      child.once('close', () => {
        void finish();
      });

      child.stdin?.end(`${JSON.stringify(request.intent)}\n`);
    });
  }
}
