/**
 * The one process supervisor behind every backend (SPEC 12, 13). A backend says how to launch an
 * agent and how to clean up after it; the supervisor owns the rest, identically for all:
 *
 * - every launch in its own session and process group (the agent, or bwrap / runsc around it);
 * - the stdio protocol: the intent as one JSON line on stdin, the answer on stdout;
 * - caps: stdout over the cap kills at once (`stdout_overflow`), only a stderr tail is kept;
 * - the kill ladder on timeout and abort: SIGTERM (the backend's way), the grace period, SIGKILL
 *   (the backend's way), then SIGKILL to the process group; an overflow starts at SIGKILL.
 *   Whatever the agent left in its group is killed when it exits, and a run returns only when
 *   the group is gone;
 * - the warm pool: one process per agent started ahead of time, blocked on stdin, which serves
 *   exactly one intent; its replacement is started once the run is over;
 * - the outcome: one reason and one message per way a run can end.
 */
import { outsideRequest } from '../../audit/index.js';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { AgentFailureReason, AgentLaunch, AgentRunner, AgentRunRequest, AgentRunResult } from '../runner.js';
import { AgentProcess, type ChildLike } from './agent-process.js';
import { LaunchRefused, type Planned, type Prepared, type SupervisorBackend } from './backend.js';
import { summarizeStderr } from './failure-text.js';
import type { ProcessLauncher } from './launcher.js';
import { signalGroup, waitGroupGone, within } from './process-group.js';
import { completedAnswer, hostReplyLine, intentLine, MAX_HOST_CALLS_PER_INTENT, parseAnswer, readHostLine, type AgentAnswer, type HostCallSession } from './stdio-protocol.js';

export const DEFAULT_KILL_GRACE_MS = 2000;
export const DEFAULT_MAX_STDOUT_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_STDERR_BYTES = 64 * 1024;
/** How much stdout is searched for the answer line before the exit (`onAnswer`); a longer first line is read at the exit. */
export const EARLY_ANSWER_SCAN_BYTES = 1024 * 1024;
const NEWLINE = 0x0a;
/** How long to wait for a killed process group to disappear before giving up waiting. */
const REAP_WAIT_MS = 2000;
/** How long a launch whose whole group was SIGKILLed may take to exit before it is given up on. */
const EXIT_BACKSTOP_MS = 5000;

export interface SupervisorOptions {
  /**
   * Keep one process per (agentId, packageDir) started ahead of time and waiting on stdin; a
   * predicate decides per agent (manifest `resources.warm`). Default: off.
   */
  warm?: boolean | ((launch: AgentLaunch) => boolean);
  /** Time between SIGTERM and SIGKILL on timeout or abort. Default 2000 ms. */
  killGraceMs?: number;
  /** Stdout cap; beyond it the launch is killed (`stdout_overflow`). Default 16 MiB. */
  maxStdoutBytes?: number;
  /** Stderr kept (the tail) for error messages. Default 64 KiB. */
  maxStderrBytes?: number;
  /** After `close()`, refuse runs (`aborted`) instead of running them cold. Default: run them. */
  refuseAfterClose?: boolean;
  /**
   * The monotonic clock (ms) a run's `wallMs` is measured on, which compute credits are charged
   * from. Default `performance.now`; tests inject one to charge a known duration.
   */
  runClock?: () => number;
  /**
   * Starts every launch, warm or cold, in the launcher process (launcher.ts), so that no spawn
   * blocks this process's loop. Default: spawned here.
   */
  launcher?: ProcessLauncher;
}

type KillCause = 'timeout' | 'stdout_overflow' | 'aborted' | 'malformed_output';
type Fail = (reason: AgentFailureReason, message: string, exitCode?: number | null) => AgentRunResult;

interface Launched<R> {
  prepared: R;
  proc: AgentProcess;
  /** Set once it is being killed and cleaned up without serving a run. */
  disposal?: Promise<void>;
}

interface WarmSlot<R> {
  fingerprint: string;
  /** The warm launch once prepared and spawned; null if that failed or the slot was dropped first. */
  ready: Promise<Launched<R> | null>;
  launched: Launched<R> | null;
  /** Left the pool for any reason but a run taking it. */
  dropped: boolean;
  taken: boolean;
}

interface ActiveRun {
  aborted: boolean;
  abort(): void;
  done: Promise<void>;
  finish(): void;
}

/** A runner the pool can keep warm processes for: what every backend's supervisor offers. */
export interface SupervisedRunner extends AgentRunner {
  readonly warmCount: number;
  prewarm(launch: AgentLaunch): void;
  evict(agentId: string): Promise<void>;
  close(): Promise<void>;
}

function poolKey(launch: Pick<AgentLaunch, 'agentId' | 'packageDir'>): string {
  return `${launch.agentId}\0${path.resolve(launch.packageDir)}`;
}

export class AgentSupervisor<P extends Planned = Planned, R extends Prepared = Prepared> implements SupervisedRunner {
  readonly backend: AgentRunner['backend'];

  private readonly warm: (launch: AgentLaunch) => boolean;
  private readonly killGraceMs: number;
  private readonly maxStdoutBytes: number;
  private readonly maxStderrBytes: number;
  private readonly refuseAfterClose: boolean;
  private readonly pool = new Map<string, WarmSlot<R>>();
  private readonly active = new Set<ActiveRun>();
  /** Warm launches being killed and cleaned up (close() waits for them). */
  private readonly disposals = new Set<Promise<void>>();
  private closed = false;
  private readonly runClock: () => number;
  private readonly launcher: ProcessLauncher | undefined;

  constructor(
    private readonly impl: SupervisorBackend<P, R>,
    options: SupervisorOptions = {},
  ) {
    this.backend = impl.name;
    const warm = options.warm ?? false;
    this.warm = typeof warm === 'function' ? warm : () => warm;
    this.killGraceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
    this.maxStdoutBytes = options.maxStdoutBytes ?? DEFAULT_MAX_STDOUT_BYTES;
    this.maxStderrBytes = options.maxStderrBytes ?? DEFAULT_MAX_STDERR_BYTES;
    this.refuseAfterClose = options.refuseAfterClose ?? false;
    this.runClock = options.runClock ?? (() => performance.now());
    this.launcher = options.launcher;
  }

  /** Number of agents with a warm launch waiting or being prepared (status and tests). */
  get warmCount(): number {
    let n = 0;
    for (const slot of this.pool.values()) if (slot.launched?.disposal === undefined) n += 1;
    return n;
  }

  /** Pid of the idle warm launch of an agent, if any (status and tests). */
  warmPid(agentId: string, packageDir: string): number | undefined {
    const launched = this.pool.get(poolKey({ agentId, packageDir }))?.launched;
    return launched && launched.disposal === undefined ? launched.proc.pid : undefined;
  }

  async run(request: AgentRunRequest): Promise<AgentRunResult> {
    const t0 = this.runClock();
    const id = request.agentId;
    const fail: Fail = (reason, message, exitCode) => {
      const result: AgentRunResult = { ok: false, reason, message: this.redact(message), wallMs: this.runClock() - t0 };
      if (exitCode !== undefined) result.exitCode = exitCode;
      return result;
    };

    if (this.closed && this.refuseAfterClose) return fail('aborted', `agent ${id}: not run, the ${this.backend} runner is closed`);
    if (request.signal?.aborted) return fail('aborted', `agent ${id}: run aborted before it started`);
    let plan: P;
    try {
      plan = this.impl.plan(request);
    } catch (err) {
      return refusal(err, id, fail);
    }

    const run = this.track();
    const key = poolKey(request);
    const warm = !this.closed && this.warm(request);
    try {
      let launched = warm ? await this.takeWarm(key, plan.fingerprint) : null;
      if (launched === null) {
        let prepared: R;
        try {
          prepared = await this.impl.prepare(plan, { intentId: request.intent.intent_id });
        } catch (err) {
          return refusal(err, id, fail);
        }
        if (run.aborted || request.signal?.aborted) {
          await this.cleanup(prepared, false);
          return fail('aborted', `agent ${id}: run aborted before it started`);
        }
        launched = { prepared, proc: await this.start(prepared) };
      }
      return await this.drive(launched, request, plan, run, t0, fail);
    } finally {
      run.finish();
      // The replacement is started once this run is over and its answer is sent: a spawn in this
      // process is synchronous (5-11 ms of blocked loop at covenantd's size), and even through the
      // launcher it is work the answer need not wait for. The answer's group commit runs in this
      // turn's setImmediate and the reply is written right after it, so the start waits one turn
      // more, and outside this request (its rows are not the warm process's).
      if (warm) setImmediate(() => setImmediate(() => outsideRequest(() => this.fillWarm(key, plan))));
    }
  }

  /** Starts the warm launch of an agent now (install, daemon start), if none is there. */
  prewarm(launch: AgentLaunch): void {
    if (this.closed || !this.warm(launch)) return;
    let plan: P;
    try {
      plan = this.impl.plan(launch);
    } catch {
      return; // the first run reports the problem
    }
    this.fillWarm(poolKey(launch), plan);
  }

  /** Kills and cleans up the warm launch(es) of an agent (removed or reinstalled). */
  async evict(agentId: string): Promise<void> {
    const drops: Array<Promise<void>> = [];
    for (const [key, slot] of this.pool) {
      if (key.startsWith(`${agentId}\0`)) {
        this.pool.delete(key);
        drops.push(this.drop(slot));
      }
    }
    await Promise.allSettled(drops);
  }

  /** Aborts every running launch, kills every warm one, stops refilling; waits for all cleanup. */
  async close(): Promise<void> {
    this.closed = true;
    const runs = [...this.active];
    for (const run of runs) run.abort();
    for (const slot of this.pool.values()) void this.drop(slot);
    this.pool.clear();
    await Promise.allSettled([...runs.map((run) => run.done), ...this.disposals]);
  }

  private redact(message: string): string {
    return this.impl.redact ? this.impl.redact(message) : message;
  }

  private spawn(prepared: R, started?: ChildLike | Error): AgentProcess {
    return new AgentProcess(prepared.spawn, { maxStdoutBytes: this.maxStdoutBytes, maxStderrBytes: this.maxStderrBytes }, started);
  }

  /** A launch's process: started by the launcher when there is one (its spawn never blocks this loop). */
  private start(prepared: R): AgentProcess | Promise<AgentProcess> {
    if (this.launcher === undefined) return this.spawn(prepared);
    return this.launcher.spawn(prepared.spawn).then((started) => this.spawn(prepared, started));
  }

  private async cleanup(prepared: R, abnormal: boolean): Promise<void> {
    try {
      await this.impl.cleanup?.(prepared, abnormal);
    } catch {
      // best effort: a cleanup failure must not change the run's outcome
    }
  }

  private track(): ActiveRun {
    let resolve!: () => void;
    const run: ActiveRun = {
      aborted: false,
      abort: () => {
        run.aborted = true;
      },
      done: new Promise<void>((r) => (resolve = r)),
      finish: () => {
        this.active.delete(run);
        resolve();
      },
    };
    this.active.add(run);
    return run;
  }

  private background(work: Promise<void>): Promise<void> {
    this.disposals.add(work);
    void work.finally(() => this.disposals.delete(work));
    return work;
  }

  /** Starts the warm launch for `plan` unless one with the same fingerprint is there. */
  private fillWarm(key: string, plan: P): void {
    if (this.closed) return;
    const existing = this.pool.get(key);
    if (existing !== undefined) {
      if (existing.fingerprint === plan.fingerprint && existing.launched?.disposal === undefined) return;
      this.pool.delete(key);
      void this.drop(existing);
    }
    let prepared: R | Promise<R>;
    try {
      prepared = this.impl.prepare(plan, {});
    } catch {
      return; // the next run goes cold and reports the problem
    }
    const slot: WarmSlot<R> = { fingerprint: plan.fingerprint, ready: Promise.resolve(null), launched: null, dropped: false, taken: false };
    const settle = (ready: R): Launched<R> | Promise<Launched<R> | null> => {
      // Closed, evicted or replaced while it was being prepared: nothing is started.
      if (slot.dropped) return this.cleanup(ready, false).then(() => null);
      const proc = this.start(ready);
      return proc instanceof Promise ? proc.then((started) => attach(ready, started)) : attach(ready, proc);
    };
    const attach = (ready: R, proc: AgentProcess): Launched<R> => {
      const launched: Launched<R> = { prepared: ready, proc };
      launched.proc.setRef(false);
      slot.launched = launched;
      // An idle warm launch that dies or overflows is killed and cleaned up at once.
      const idleEnd = () => {
        if (!slot.taken) void this.dispose(launched);
      };
      launched.proc.onOverflow = idleEnd;
      void launched.proc.exited.then(idleEnd);
      return launched;
    };
    // A synchronous backend spawns now, so the warm process exists when prewarm() returns.
    slot.ready =
      prepared instanceof Promise
        ? prepared.then(settle, () => {
            if (this.pool.get(key) === slot) this.pool.delete(key);
            return null;
          })
        : Promise.resolve(settle(prepared));
    this.pool.set(key, slot);
  }

  /** Removes a slot from service and disposes of its launch once it is ready. */
  private drop(slot: WarmSlot<R>): Promise<void> {
    slot.dropped = true;
    return this.background(slot.ready.then((launched) => (launched === null ? undefined : this.dispose(launched))));
  }

  /** Takes the agent's warm launch out of the pool (waiting while it is prepared); null: run cold. */
  private async takeWarm(key: string, fingerprint: string): Promise<Launched<R> | null> {
    const slot = this.pool.get(key);
    if (slot === undefined) return null;
    this.pool.delete(key);
    slot.taken = true;
    const launched = await slot.ready;
    if (launched === null) return null;
    if (launched.disposal !== undefined) {
      await launched.disposal; // it ended while idle: its cleanup is done before the cold run
      return null;
    }
    if (slot.fingerprint !== fingerprint || this.closed || !launched.proc.usable) {
      await this.dispose(launched);
      return null;
    }
    return launched;
  }

  /** Kills a launch that serves no run and cleans up after it. Idempotent. */
  private dispose(launched: Launched<R>): Promise<void> {
    launched.disposal ??= this.background(
      (async () => {
        const { proc } = launched;
        proc.setRef(true); // whoever waits for this cleanup keeps the process alive until it is done
        if (!proc.hasExited && proc.spawnError === undefined) await this.killLadder(launched, false);
        await within(proc.exited, EXIT_BACKSTOP_MS);
        await this.sweep(proc);
        proc.destroyStdio();
        await this.cleanup(launched.prepared, true);
      })(),
    );
    return launched.disposal;
  }

  /** Delivers a signal the backend's way, by default to the process group. */
  private async deliver(launched: Launched<R>, signal: 'SIGTERM' | 'SIGKILL'): Promise<boolean> {
    if (this.impl.signal) return this.impl.signal(launched.prepared, signal);
    return signalGroup(launched.proc.pid, signal);
  }

  /**
   * SIGTERM, the grace period (cut short by `escalated`), SIGKILL, then SIGKILL to the process
   * group if the backend's SIGKILL did not end it. Resolves once the group is gone or given up on.
   */
  private async killLadder(launched: Launched<R>, graceful: boolean, escalated?: Promise<void>): Promise<void> {
    const pid = launched.proc.pid;
    if (graceful && (await this.deliver(launched, 'SIGTERM'))) {
      const grace = waitGroupGone(pid, this.killGraceMs);
      if ((await (escalated ? Promise.race([grace, escalated.then(() => false)]) : grace)) === true) return;
    }
    if ((await this.deliver(launched, 'SIGKILL')) && (await waitGroupGone(pid, this.impl.killSettleMs ?? REAP_WAIT_MS))) return;
    signalGroup(pid, 'SIGKILL');
    await waitGroupGone(pid, REAP_WAIT_MS);
  }

  /** Kills whatever is left in a launch's process group and waits for it to be gone. */
  private async sweep(proc: AgentProcess): Promise<void> {
    if (signalGroup(proc.pid, 'SIGKILL')) await waitGroupGone(proc.pid, REAP_WAIT_MS);
  }

  /**
   * Reads a host-calling agent's stdout line by line (SPEC 12 "Host calls"): each call is served
   * by the session and answered on stdin, at most MAX_HOST_CALLS_PER_INTENT of them; the first
   * answer line closes stdin; a line that is neither stops the run (`malformed`).
   */
  private serveHostCalls(proc: AgentProcess, session: HostCallSession, malformed: () => void, onAnswer: (answer: AgentAnswer) => void): HostedRun {
    const cancel = new AbortController();
    const inFlight = new Set<Promise<void>>();
    let answer: AgentAnswer | undefined;
    let problem: string | undefined;
    let calls = 0;
    proc.streamLines((text) => {
      if (answer !== undefined || problem !== undefined) return;
      const line = readHostLine(text);
      switch (line.kind) {
        case 'empty':
          return;
        case 'answer':
          answer = line.answer;
          proc.endInput();
          onAnswer(answer);
          return;
        case 'malformed':
          problem = line.problem;
          malformed();
          return;
        case 'bad_call': {
          const error = { code: 'E_HOST_CALL_INVALID', message: `host call ${line.id}: ${line.problem}` };
          session.refused({ id: line.id, call: line.call }, error);
          proc.write(hostReplyLine(line.id, { error }));
          return;
        }
        case 'call': {
          calls += 1;
          if (calls > MAX_HOST_CALLS_PER_INTENT) {
            const error = { code: 'E_HOST_CALL_LIMIT', message: `at most ${MAX_HOST_CALLS_PER_INTENT} host calls per intent; answer with what you have` };
            // Audited once: an agent that keeps calling past the limit must not flood the log.
            if (calls === MAX_HOST_CALLS_PER_INTENT + 1) session.refused({ id: line.call.id, call: line.call.call }, error);
            proc.write(hostReplyLine(line.call.id, { error }));
            return;
          }
          const served = session.serve(line.call, cancel.signal).then((outcome) => {
            if (!cancel.signal.aborted) proc.write(hostReplyLine(line.call.id, outcome));
          });
          inFlight.add(served);
          void served.finally(() => inFlight.delete(served));
          return;
        }
      }
    });
    return {
      get answer() {
        return answer;
      },
      get problem() {
        return problem;
      },
      settle: async () => {
        cancel.abort();
        await within(Promise.allSettled([...inFlight]).then(() => undefined), EXIT_BACKSTOP_MS);
      },
    };
  }

  /**
   * Hands a launched process its intent and waits for the outcome: exit, timeout, abort or the
   * stdout cap. Cleans up after it in every case.
   */
  private async drive(
    launched: Launched<R>,
    request: AgentRunRequest,
    plan: P,
    run: ActiveRun,
    t0: number,
    fail: Fail,
  ): Promise<AgentRunResult> {
    const { proc, prepared } = launched;
    const id = request.agentId;
    proc.setRef(true);

    let cause: KillCause | undefined;
    let ladder: Promise<void> | undefined;
    let escalate!: () => void;
    const escalated = new Promise<void>((r) => (escalate = r));
    let started!: () => void;
    const ladderStarted = new Promise<void>((r) => (started = r));
    const stop = (why: KillCause) => {
      if (proc.hasExited) return;
      if (why === 'stdout_overflow') escalate(); // an overflow does not wait out a grace period
      if (cause !== undefined) return;
      cause = why;
      ladder = this.killLadder(launched, why !== 'stdout_overflow', escalated);
      started();
    };

    proc.onOverflow = () => stop('stdout_overflow');
    const timeoutMs = Math.max(1, Math.floor(request.timeoutMs));
    const timer = setTimeout(() => stop('timeout'), timeoutMs);
    const onAbort = () => stop('aborted');
    request.signal?.addEventListener('abort', onAbort, { once: true });
    run.abort = () => {
      run.aborted = true;
      stop('aborted');
    };
    if (proc.overflowed) stop('stdout_overflow');
    if (run.aborted || request.signal?.aborted) stop('aborted');
    const onAnswer = announceOnce(request.onAnswer);
    const hosted = request.hostCalls ? this.serveHostCalls(proc, request.hostCalls, () => stop('malformed_output'), onAnswer) : null;
    if (!hosted && request.onAnswer) {
      proc.onStdout = (chunk, keptBytes) => {
        // A hint only (the answer is parsed at the exit anyway): looked for where a line can have
        // ended, and not past EARLY_ANSWER_SCAN_BYTES, so a flood costs no rescan per chunk.
        if (keptBytes > EARLY_ANSWER_SCAN_BYTES) {
          proc.onStdout = undefined;
          return;
        }
        if (!chunk.includes(NEWLINE)) return;
        const answer = completedAnswer(proc.stdoutText());
        if (answer === undefined) return;
        proc.onStdout = undefined;
        if (answer !== null) onAnswer(answer);
      };
    }
    if (hosted) proc.write(intentLine(request.intent));
    else proc.send(intentLine(request.intent));

    let abnormal = true;
    try {
      // The process exits; or a kill ladder ran its course and it still has not: stop waiting soon.
      await Promise.race([proc.exited, ladderStarted.then(() => ladder).then(() => within(proc.exited, EXIT_BACKSTOP_MS))]);
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      if (ladder) await ladder;
      // The leader is gone; take along anything it left behind in its group, then drain the pipes.
      await this.sweep(proc);
      await within(proc.closed, REAP_WAIT_MS);
      // Calls still being served are cancelled; their audit rows are written before the run settles.
      await hosted?.settle();
      proc.destroyStdio();

      // A launch that never started has nothing to clean up beyond what prepare made.
      abnormal = proc.pid !== undefined && (cause !== undefined || proc.exitSignal !== null || !proc.hasExited);
      const exitCode = proc.exitCode;
      if (proc.spawnError !== undefined) {
        const failure = this.impl.spawnFailure(proc.spawnError, plan);
        return fail(failure.reason, `agent ${id}: ${failure.message}`);
      }
      const killed = this.impl.killed;
      switch (cause ?? (proc.overflowed ? 'stdout_overflow' : undefined)) {
        case 'stdout_overflow':
          return fail('stdout_overflow', `agent ${id}: stdout exceeded ${this.maxStdoutBytes} bytes; ${killed} was killed`, exitCode);
        case 'timeout':
          return fail('timeout', timeoutMessage(id, timeoutMs, killed), exitCode);
        case 'aborted':
          return fail('aborted', `agent ${id}: run aborted; ${killed} was killed`, exitCode);
        case 'malformed_output':
          return fail('malformed_output', `agent ${id}: malformed output: ${hosted?.problem ?? 'unreadable line'}; ${killed} was killed`, exitCode);
        default:
          break;
      }

      const stderr = this.redact(proc.stderrText().trim());
      const stderrSuffix = stderr === '' ? ' (no stderr)' : `; stderr: ${summarizeStderr(stderr)}`;
      const own = this.impl.exitFailure?.({ exitCode, stderr, stderrSuffix }, plan);
      if (own !== undefined) {
        abnormal ||= own.abnormal === true;
        return fail(own.reason, `agent ${id}: ${own.message}`, exitCode);
      }
      if (exitCode === null) {
        const leader = this.impl.leader ? `${this.impl.leader} ` : '';
        return fail('nonzero_exit', `agent ${id}: ${leader}was killed by signal ${proc.exitSignal ?? 'unknown'}${stderrSuffix}`, null);
      }
      if (exitCode !== 0) return fail('nonzero_exit', `agent ${id}: exited with code ${exitCode}${stderrSuffix}`, exitCode);

      if (hosted) {
        if (hosted.answer === undefined) {
          return fail('malformed_output', `agent ${id}: malformed output: it exited without an answer line {"text": ...} on stdout`, exitCode);
        }
        return { ok: true, answer: hosted.answer, wallMs: this.runClock() - t0 };
      }
      const parsed = parseAnswer(proc.stdoutText());
      if (!parsed.ok) return fail('malformed_output', `agent ${id}: malformed output: ${parsed.problem}`, exitCode);
      return { ok: true, answer: parsed.answer, wallMs: this.runClock() - t0 };
    } finally {
      clearTimeout(timer);
      request.signal?.removeEventListener('abort', onAbort);
      await this.cleanup(prepared, abnormal);
    }
  }
}

interface HostedRun {
  /** The first line carrying `text`. */
  readonly answer: AgentAnswer | undefined;
  /** Why the run was stopped for a malformed line. */
  readonly problem: string | undefined;
  /** Cancels calls still in flight and waits (bounded) until they are done. */
  settle(): Promise<void>;
}

/** The run's `onAnswer`, called at most once; what it throws is not the run's business. */
function announceOnce(onAnswer: ((answer: AgentAnswer) => void) | undefined): (answer: AgentAnswer) => void {
  let told = false;
  return (answer) => {
    if (told || !onAnswer) return;
    told = true;
    try {
      onAnswer(answer);
    } catch {
      // a hint: the run goes on and settles from its own outcome
    }
  };
}

function refusal(err: unknown, id: string, fail: Fail): AgentRunResult {
  if (err instanceof LaunchRefused) return fail(err.reason, `agent ${id}: ${err.message}`);
  return fail('spawn_failed', `agent ${id}: ${(err as Error).message}`);
}

/** The limit is the manifest's, and its name says CPU time while it counts wall-clock time: say both. */
function timeoutMessage(id: string, timeoutMs: number, killed: string): string {
  return (
    `agent ${id}: timed out after ${timeoutMs} ms; ${killed} was killed. ` +
    `The limit is [resources] cpu_ms_per_task in its agent.toml, counted in wall-clock time (not CPU time): raise it there and reinstall if the agent needs longer`
  );
}
