/**
 * Trusted-local runner (SPEC 12): runs an agent as an ordinary child process of the daemon,
 * in its own process group, with an allowlisted environment, the intent as one JSON line on
 * stdin and the answer as the first non-empty JSON line on stdout.
 *
 * "Trusted" means there is no sandbox: the agent runs with the daemon's uid (or, when the
 * daemon is root, as an unprivileged user: `runAs`) and can read whatever that user can. What
 * this runner does guarantee is hygiene and containment of the process tree: no inherited
 * secrets, bounded output, and every process the agent started is gone when `run` returns.
 *
 * The same process supervision serves the `linux-bwrap` backend: a `sandbox` planner only
 * changes the command line (bwrap wrapping the interpreter), see `./bwrap/`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import { buildAgentEnv } from './agent-env.js';
import type {
  AgentAnswer,
  AgentFailureReason,
  AgentRunRequest,
  AgentRunResult,
  AgentRunner,
} from './runner.js';

export { buildAgentEnv } from './agent-env.js';

export const DEFAULT_KILL_GRACE_MS = 2000;
export const DEFAULT_MAX_STDOUT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_STDERR_BYTES = 64 * 1024;
/** How long to wait for a killed process group to disappear before giving up waiting. */
const REAP_WAIT_MS = 2000;
const POLL_MS = 10;
/** `nobody`/`nogroup` on Debian: who trusted-local agents run as when the daemon is root. */
export const UNPRIVILEGED_UID = 65534;
export const UNPRIVILEGED_GID = 65534;

/** What is needed to start an agent process (everything in a run request but the intent). */
export type AgentLaunch = Pick<AgentRunRequest, 'agentId' | 'packageDir' | 'runtime' | 'entry' | 'memoryMb' | 'env'>;

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
export interface SandboxCommand {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
}

/** A sandbox that cannot run at all (binary missing): the run fails as `sandbox_unavailable`. */
export class SandboxUnavailableError extends Error {}

export interface TrustedLocalRunnerOptions {
  /**
   * Keep one pre-spawned process per (agentId, packageDir) waiting on stdin. A predicate lets
   * the daemon decide per agent (manifest `resources.warm`). Default: off.
   */
  warm?: boolean | ((request: AgentLaunch) => boolean);
  /** Time between SIGTERM and SIGKILL to the process group on timeout or abort. Default 2000 ms. */
  killGraceMs?: number;
  /** Stdout cap; beyond it the group is killed (`stdout_overflow`). Default 16 MiB. */
  maxStdoutBytes?: number;
  /** Stderr kept (the tail) for error messages. Default 64 KiB. */
  maxStderrBytes?: number;
  /** Environment the allowlist is drawn from. Default: `process.env` at spawn time. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Interpreter for `runtime = "python3"`, looked up on the agent's PATH. Default `python3`. */
  python3Command?: string;
  /** The manifest's launch settings for an agent. Default: network off, no declared variables. */
  profile?: (launch: AgentLaunch) => Partial<LaunchProfile> | undefined;
  /**
   * Host runs only: the user an agent runs as (spawn `uid`/`gid`). The daemon passes nobody
   * (65534) when it runs as root, unless the manifest opts in to the daemon's user. Default:
   * the daemon's own user.
   */
  runAs?: (launch: AgentLaunch) => { uid: number; gid: number } | undefined;
  /** Wraps every launch in a sandbox (the linux-bwrap backend). Default: none (trusted-local). */
  sandbox?: { backend: 'linux-bwrap'; command: (launch: SandboxLaunch) => SandboxCommand };
}

const AgentAnswerSchema = z.object({
  text: z.string(),
  sources: z.array(z.string()).optional(),
  files: z.array(z.string()).optional(),
});

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Signals a whole process group. Never signals group 0/1 (that would hit the daemon itself). */
function signalGroup(pid: number | undefined, signal: NodeJS.Signals | 0): boolean {
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return false;
  try {
    process.kill(-pid, signal);
    return true;
  } catch (err) {
    // ESRCH: the group is gone. EPERM: a member we may not signal (should not happen).
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * True while the process group has a member that is still running. A member that is already
 * dead but not yet reaped (a zombie orphan waiting for init) does not count: on Linux the
 * group's members are read from /proc when the kernel still reports the group.
 */
function groupAlive(pid: number | undefined): boolean {
  if (!signalGroup(pid, 0)) return false;
  if (process.platform !== 'linux') return true;
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return true;
  }
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue; // exited while we looked
    }
    // "pid (comm) state ppid pgrp ...": comm may contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

async function waitGroupGone(pid: number | undefined, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (groupAlive(pid)) {
    if (performance.now() >= deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}

/** Makes text safe to embed in a one-line message: control characters become '?'. */
function sanitize(text: string): string {
  // eslint-disable-next-line no-control-regex -- matching control characters is the point: they are replaced
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

type Unrefable = { ref?: () => void; unref?: () => void };

interface LaunchSpec {
  key: string;
  fingerprint: string;
  agentId: string;
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  uid: number | undefined;
  gid: number | undefined;
}

/** One spawned agent process with its output buffers. Collects from the moment it starts. */
class AgentProcess {
  readonly child: ChildProcess;
  readonly pid: number | undefined;
  readonly exited: Promise<void>;
  readonly closed: Promise<void>;
  spawnError: Error | undefined;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  hasExited = false;
  overflowed = false;
  /** Called once when stdout passes the cap (the group has already been sent SIGKILL). */
  onOverflow: (() => void) | undefined;

  private stdoutChunks: Buffer[] = [];
  private stdoutBytes = 0;
  private stderrChunks: Buffer[] = [];
  private stderrBytes = 0;

  constructor(
    spec: LaunchSpec,
    private readonly maxStdout: number,
    private readonly maxStderr: number,
  ) {
    this.child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env,
      detached: true, // setsid(): own session and process group, pgid = pid
      stdio: ['pipe', 'pipe', 'pipe'],
      windowsHide: true,
      // libuv enters cwd before it drops to uid/gid (and clears supplementary groups).
      ...(spec.uid !== undefined && spec.gid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
    });
    this.pid = this.child.pid;

    let resolveExited!: () => void;
    let resolveClosed!: () => void;
    this.exited = new Promise((r) => (resolveExited = r));
    this.closed = new Promise((r) => (resolveClosed = r));

    this.child.on('error', (err) => {
      if (this.child.pid === undefined) {
        this.spawnError = err;
        resolveExited();
        resolveClosed();
      }
    });
    this.child.on('exit', (code, signal) => {
      this.hasExited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      resolveExited();
    });
    this.child.on('close', () => resolveClosed());

    // EPIPE when the agent exits without reading stdin is not an error of ours.
    this.child.stdin?.on('error', () => {});
    this.child.stdout?.on('error', () => {});
    this.child.stderr?.on('error', () => {});

    this.child.stdout?.on('data', (chunk: Buffer) => {
      if (this.overflowed) return;
      if (this.stdoutBytes + chunk.length > this.maxStdout) {
        this.overflowed = true;
        signalGroup(this.pid, 'SIGKILL');
        this.onOverflow?.();
        return;
      }
      this.stdoutChunks.push(chunk);
      this.stdoutBytes += chunk.length;
    });
    this.child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrChunks.push(chunk);
      this.stderrBytes += chunk.length;
      if (this.stderrBytes > 2 * this.maxStderr) this.trimStderr();
    });
  }

  get alive(): boolean {
    return this.spawnError === undefined && !this.hasExited && !this.overflowed;
  }

  private trimStderr(): void {
    const all = Buffer.concat(this.stderrChunks);
    const tail = all.subarray(Math.max(0, all.length - this.maxStderr));
    this.stderrChunks = [tail];
    this.stderrBytes = tail.length;
  }

  stdoutText(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  stderrText(): string {
    this.trimStderr();
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  /** Idle warm processes must not keep the daemon's event loop alive. */
  setRef(ref: boolean): void {
    const targets: Unrefable[] = [this.child, this.child.stdin, this.child.stdout, this.child.stderr].filter(
      (t): t is NonNullable<typeof t> => t != null,
    ) as Unrefable[];
    for (const t of targets) (ref ? t.ref : t.unref)?.call(t);
  }

  destroyStdio(): void {
    this.child.stdin?.destroy();
    this.child.stdout?.destroy();
    this.child.stderr?.destroy();
  }

  /** SIGKILL the group, wait for the leader and the group to be gone. */
  async kill(): Promise<void> {
    this.setRef(true); // an unref'd warm process would let the loop end before its exit is seen
    signalGroup(this.pid, 'SIGKILL');
    await this.exited;
    await waitGroupGone(this.pid, REAP_WAIT_MS);
    this.destroyStdio();
  }
}

interface WarmEntry {
  fingerprint: string;
  proc: AgentProcess;
}

export class TrustedLocalRunner implements AgentRunner {
  readonly backend: 'trusted-local' | 'linux-bwrap';

  private readonly warm: (request: AgentLaunch) => boolean;
  private readonly killGraceMs: number;
  private readonly maxStdoutBytes: number;
  private readonly maxStderrBytes: number;
  private readonly baseEnv: NodeJS.ProcessEnv | undefined;
  private readonly python3Command: string;
  private readonly profile: TrustedLocalRunnerOptions['profile'];
  private readonly runAs: TrustedLocalRunnerOptions['runAs'];
  private readonly sandbox: TrustedLocalRunnerOptions['sandbox'];
  private readonly pool = new Map<string, WarmEntry>();
  private closed = false;

  constructor(options: TrustedLocalRunnerOptions = {}) {
    const warm = options.warm ?? false;
    this.warm = typeof warm === 'function' ? warm : () => warm;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.maxStdoutBytes = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
    this.maxStderrBytes = options.maxStderrBytes ?? DEFAULT_MAX_STDERR_BYTES;
    this.baseEnv = options.baseEnv;
    this.python3Command = options.python3Command ?? 'python3';
    this.profile = options.profile;
    this.runAs = options.runAs;
    this.sandbox = options.sandbox;
    this.backend = options.sandbox?.backend ?? 'trusted-local';
  }

  /** Number of idle warm processes (for status and tests). */
  get warmCount(): number {
    return this.pool.size;
  }

  /** Pid of the idle warm process for an agent, if any (for status and tests). */
  warmPid(agentId: string, packageDir: string): number | undefined {
    return this.pool.get(poolKey(agentId, packageDir))?.proc.pid;
  }

  async run(request: AgentRunRequest): Promise<AgentRunResult> {
    const t0 = performance.now();
    const id = request.agentId;
    const fail = (reason: AgentFailureReason, message: string, exitCode?: number | null): AgentRunResult => {
      const r: AgentRunResult = { ok: false, reason, message, wallMs: performance.now() - t0 };
      if (exitCode !== undefined) r.exitCode = exitCode;
      return r;
    };

    if (request.signal?.aborted) return fail('aborted', `agent ${id}: run aborted before it started`);

    let spec: LaunchSpec;
    try {
      spec = this.launchSpec(request);
    } catch (err) {
      if (err instanceof SandboxUnavailableError) return fail('sandbox_unavailable', `agent ${id}: ${err.message}`);
      return fail('spawn_failed', `agent ${id}: ${(err as Error).message}`);
    }

    const warm = !this.closed && this.warm(request);
    let proc = warm ? this.takeWarm(spec) : undefined;
    if (!proc) {
      try {
        proc = this.start(spec);
      } catch (err) {
        return fail('spawn_failed', `agent ${id}: could not start ${request.runtime} agent: ${(err as Error).message}`);
      }
    }
    if (warm) this.scheduleRefill(spec);
    return this.drive(proc, request, t0, fail);
  }

  /** Starts the warm process for an agent now (e.g. at install or daemon start), if none is waiting. */
  prewarm(launch: AgentLaunch): void {
    if (this.closed) return;
    let spec: LaunchSpec;
    try {
      spec = this.launchSpec(launch);
    } catch {
      return; // the first run reports the problem
    }
    this.fillPool(spec);
  }

  /** Kills the warm process(es) of an agent (removed or reinstalled). */
  async evict(agentId: string): Promise<void> {
    const victims: AgentProcess[] = [];
    for (const [key, entry] of this.pool) {
      if (key.startsWith(`${agentId}\0`)) {
        this.pool.delete(key);
        victims.push(entry.proc);
      }
    }
    await Promise.all(victims.map((p) => p.kill()));
  }

  /** Kills every warm process (whole groups) and stops refilling the pool. */
  async close(): Promise<void> {
    this.closed = true;
    const victims = [...this.pool.values()].map((e) => e.proc);
    this.pool.clear();
    await Promise.all(victims.map((p) => p.kill()));
  }

  private launchSpec(launch: AgentLaunch): LaunchSpec {
    const packageDir = path.resolve(launch.packageDir);
    if (path.isAbsolute(launch.entry)) throw new Error(`entry "${launch.entry}" must be relative to the package`);
    const entryPath = path.resolve(packageDir, launch.entry);
    const rel = path.relative(packageDir, entryPath);
    if (rel === '' || rel === '..' || rel.startsWith(`..${path.sep}`) || path.isAbsolute(rel)) {
      throw new Error(`entry "${launch.entry}" escapes the package directory`);
    }
    if (!['node', 'python3', 'bin'].includes(launch.runtime)) throw new Error(`unknown runtime ${JSON.stringify(launch.runtime)}`);
    const given = this.profile?.(launch) ?? {};
    const profile: LaunchProfile = { network: given.network ?? 'off', envNames: given.envNames ?? [] };
    const base = this.baseEnv ?? process.env;

    let plan: { command: string; args: string[]; cwd: string; env: Record<string, string>; uid?: number; gid?: number };
    if (this.sandbox) {
      const env = buildAgentEnv(base, launch.env, { declared: profile.envNames });
      plan = this.sandbox.command({
        agentId: launch.agentId,
        packageDir,
        entry: rel.split(path.sep).join('/'),
        runtime: launch.runtime,
        memoryMb: launch.memoryMb,
        profile,
        env,
        python3Command: this.python3Command,
      });
    } else {
      const user = this.runAs?.(launch);
      // An unprivileged user cannot search a 0700 $COVENANT_HOME: it reaches its package through
      // its cwd (entered before the uid drop), so paths go through /proc/self/cwd.
      const entryArg = user ? `/proc/self/cwd/${rel.split(path.sep).join('/')}` : entryPath;
      const fixed: Record<string, string> = user ? { HOME: '/tmp' } : {};
      const env = buildAgentEnv(base, launch.env, { declared: profile.envNames, fixed });
      let command: string;
      let args: string[] = [];
      if (launch.runtime === 'node') {
        command = process.execPath;
        if (Number.isInteger(launch.memoryMb) && launch.memoryMb > 0) args.push(`--max-old-space-size=${launch.memoryMb}`);
        if (user) args.push('--preserve-symlinks', '--preserve-symlinks-main');
        args.push(entryArg);
      } else if (launch.runtime === 'python3') {
        command = this.python3Command;
        args = [entryArg];
      } else {
        command = entryArg;
      }
      plan = { command, args, cwd: packageDir, env };
      if (user) {
        plan.uid = user.uid;
        plan.gid = user.gid;
      }
    }
    const envEntries = Object.entries(plan.env).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      key: poolKey(launch.agentId, launch.packageDir),
      fingerprint: JSON.stringify([plan.command, plan.args, plan.cwd, envEntries, plan.uid ?? null, plan.gid ?? null]),
      agentId: launch.agentId,
      command: plan.command,
      args: plan.args,
      cwd: plan.cwd,
      env: plan.env,
      uid: plan.uid,
      gid: plan.gid,
    };
  }

  private start(spec: LaunchSpec): AgentProcess {
    return new AgentProcess(spec, this.maxStdoutBytes, this.maxStderrBytes);
  }

  private takeWarm(spec: LaunchSpec): AgentProcess | undefined {
    const entry = this.pool.get(spec.key);
    if (!entry) return undefined;
    this.pool.delete(spec.key);
    if (entry.fingerprint !== spec.fingerprint || !entry.proc.alive) {
      void entry.proc.kill();
      return undefined;
    }
    return entry.proc;
  }

  private scheduleRefill(spec: LaunchSpec): void {
    setImmediate(() => this.fillPool(spec));
  }

  private fillPool(spec: LaunchSpec): void {
    if (this.closed) return;
    const existing = this.pool.get(spec.key);
    if (existing) {
      if (existing.fingerprint === spec.fingerprint && existing.proc.alive) return;
      this.pool.delete(spec.key);
      void existing.proc.kill();
    }
    let proc: AgentProcess;
    try {
      proc = this.start(spec);
    } catch {
      return; // the next run spawns fresh and reports the error
    }
    proc.setRef(false);
    const entry: WarmEntry = { fingerprint: spec.fingerprint, proc };
    this.pool.set(spec.key, entry);
    // An idle warm process that dies (crash, overflow) leaves the pool and takes its group along.
    void proc.exited.then(() => {
      if (this.pool.get(spec.key) === entry) {
        this.pool.delete(spec.key);
        void proc.kill();
      }
    });
  }

  private async drive(
    proc: AgentProcess,
    request: AgentRunRequest,
    t0: number,
    fail: (reason: AgentFailureReason, message: string, exitCode?: number | null) => AgentRunResult,
  ): Promise<AgentRunResult> {
    const id = request.agentId;
    proc.setRef(true);

    let reason: AgentFailureReason | undefined;
    let killing: Promise<void> | undefined;
    const stop = (why: AgentFailureReason, graceful: boolean) => {
      if (reason !== undefined || proc.hasExited) return;
      reason = why;
      killing = graceful ? this.terminateGroup(proc.pid) : this.killGroup(proc.pid);
    };

    proc.onOverflow = () => stop('stdout_overflow', false);
    if (proc.overflowed) stop('stdout_overflow', false);

    const timeoutMs = Math.max(1, Math.floor(request.timeoutMs));
    const timer = setTimeout(() => stop('timeout', true), timeoutMs);
    const onAbort = () => stop('aborted', true);
    request.signal?.addEventListener('abort', onAbort, { once: true });

    if (proc.spawnError === undefined) {
      proc.child.stdin?.end(`${JSON.stringify(request.intent)}\n`);
    }

    await proc.exited;
    clearTimeout(timer);
    request.signal?.removeEventListener('abort', onAbort);

    if (proc.spawnError) {
      const e = proc.spawnError as NodeJS.ErrnoException;
      // The package path is the operator's business, not the caller's: show it relative.
      const msg = e.message.split(path.resolve(request.packageDir)).join('<package>');
      return fail('spawn_failed', `agent ${id}: could not start ${request.runtime} agent: ${sanitize(msg)}`);
    }

    // The leader is gone; take along anything it left behind in its group, then drain the pipes.
    if (killing) await killing;
    await this.killGroup(proc.pid);
    await Promise.race([proc.closed, delay(REAP_WAIT_MS)]);
    proc.destroyStdio();

    const exitCode = proc.exitCode;
    switch (reason ?? (proc.overflowed ? 'stdout_overflow' : undefined)) {
      case 'stdout_overflow':
        return fail(
          'stdout_overflow',
          `agent ${id}: stdout exceeded ${this.maxStdoutBytes} bytes; its process group was killed`,
          exitCode,
        );
      case 'timeout':
        return fail('timeout', `agent ${id}: timed out after ${timeoutMs} ms; its process group was killed`, exitCode);
      case 'aborted':
        return fail('aborted', `agent ${id}: run aborted; its process group was killed`, exitCode);
      default:
        break;
    }

    if (exitCode !== 0) {
      const how =
        exitCode === null ? `was killed by signal ${proc.exitSignal ?? 'unknown'}` : `exited with code ${exitCode}`;
      const stderr = proc.stderrText().trimEnd();
      const tail = stderr.length > 500 ? stderr.slice(-500) : stderr;
      const suffix = tail ? `; stderr: ${sanitize(tail)}` : ' (no stderr)';
      return fail('nonzero_exit', `agent ${id}: ${how}${suffix}`, exitCode);
    }

    const parsed = parseAnswer(proc.stdoutText());
    if (!parsed.ok) return fail('malformed_output', `agent ${id}: malformed output: ${parsed.problem}`, exitCode);
    return { ok: true, answer: parsed.answer, wallMs: performance.now() - t0 };
  }

  /** SIGTERM the group, wait up to the grace period, then SIGKILL whatever is left. */
  private async terminateGroup(pid: number | undefined): Promise<void> {
    if (!signalGroup(pid, 'SIGTERM')) return;
    if (await waitGroupGone(pid, this.killGraceMs)) return;
    signalGroup(pid, 'SIGKILL');
    await waitGroupGone(pid, REAP_WAIT_MS);
  }

  private async killGroup(pid: number | undefined): Promise<void> {
    if (!signalGroup(pid, 'SIGKILL')) return;
    await waitGroupGone(pid, REAP_WAIT_MS);
  }
}

function poolKey(agentId: string, packageDir: string): string {
  return `${agentId}\0${path.resolve(packageDir)}`;
}

const SNIPPET_CHARS = 200;

/** Parses the first non-empty stdout line as `{text, sources?, files?}`. */
export function parseAnswer(
  stdout: string,
): { ok: true; answer: AgentAnswer } | { ok: false; problem: string } {
  const line = stdout.split('\n').find((l) => l.trim() !== '');
  const expected = 'expected one JSON line {"text": string, "sources"?: string[], "files"?: string[]} on stdout';
  if (line === undefined) return { ok: false, problem: `printed nothing (${expected})` };
  const trimmed = line.trim();
  const snippet =
    trimmed.length > SNIPPET_CHARS ? `${trimmed.slice(0, SNIPPET_CHARS)}...` : trimmed;
  const shown = `first line: ${JSON.stringify(snippet)}`;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch {
    return { ok: false, problem: `not JSON (${expected}); ${shown}` };
  }
  const result = AgentAnswerSchema.safeParse(value);
  if (!result.success) {
    const first = result.error.issues[0];
    const where = first && first.path.length > 0 ? first.path.join('.') : 'answer';
    return { ok: false, problem: `${where}: ${first?.message ?? 'invalid'} (${expected}); ${shown}` };
  }
  const answer: AgentAnswer = { text: result.data.text };
  if (result.data.sources !== undefined) answer.sources = result.data.sources;
  if (result.data.files !== undefined) answer.files = result.data.files;
  return { ok: true, answer };
}
