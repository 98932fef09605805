/**
 * What a backend tells the supervisor: how to launch an agent and how to clean up after it.
 * Everything else (process group, stdio protocol, caps, timeout and kill ladder, warm pool,
 * outcome) is the supervisor's, the same for every backend.
 */
import type { AgentFailureReason, AgentLaunch, AgentRunner } from '../runner.js';
import type { SpawnSpec } from './agent-process.js';

/** A launch checked and resolved before anything is written or started. */
export interface Planned {
  /** Everything the started process depends on: a warm process is used only when it matches. */
  fingerprint: string;
}

/** What `prepare` made ready: the process to spawn (plus whatever cleanup needs). */
export interface Prepared {
  spawn: SpawnSpec;
}

/** A failure the backend words itself (the supervisor prefixes `agent <id>: `). */
export interface Failure {
  reason: AgentFailureReason;
  message: string;
}

/** A launch that cannot go ahead (`sandbox_unavailable`, `spawn_failed`); thrown by plan/prepare. */
export class LaunchRefused extends Error {
  constructor(
    readonly reason: 'sandbox_unavailable' | 'spawn_failed',
    message: string,
  ) {
    super(message);
  }
}

/** How a launched process ended, for a backend that reads its own exit codes. */
export interface ExitFacts {
  exitCode: number | null;
  /** Its stderr tail, redacted (not yet summarized). */
  stderr: string;
  /** `; stderr: <summary>` or ` (no stderr)`. */
  stderrSuffix: string;
}

export interface SupervisorBackend<P extends Planned = Planned, R extends Prepared = Prepared> {
  readonly name: AgentRunner['backend'];
  /** What a timeout, abort or overflow kills, in messages: "its process group", "its sandbox". */
  readonly killed: string;
  /** What a signal from elsewhere killed, in messages (default: nothing named). */
  readonly leader?: string;
  /** Checks and resolves a launch, synchronously; throws `LaunchRefused` (or any error: `spawn_failed`). */
  plan(launch: AgentLaunch): P;
  /** Makes a planned launch ready to spawn; `intentId` is absent for a warm launch. May write files. */
  prepare(plan: P, use: { intentId?: string }): R | Promise<R>;
  /**
   * Delivers SIGTERM / SIGKILL to the launch its own way (e.g. `runsc kill`); false when that
   * failed. Default: the process group.
   */
  signal?(prepared: R, signal: 'SIGTERM' | 'SIGKILL'): Promise<boolean>;
  /** How long after its own SIGKILL the launch may take to go before its process group is SIGKILLed. */
  readonly killSettleMs?: number;
  /** Removes what `prepare` made; `abnormal` when the process did not end by itself. */
  cleanup?(prepared: R, abnormal: boolean): Promise<void>;
  /** Why the process could not be spawned at all. */
  spawnFailure(err: NodeJS.ErrnoException, plan: P): Failure;
  /** The backend's own reading of an exit (e.g. a sandbox that could not start); `abnormal` asks for cleanup. */
  exitFailure?(exit: ExitFacts, plan: P): (Failure & { abnormal?: boolean }) | undefined;
  /** Hides host paths in messages. Default: unchanged. */
  redact?(message: string): string;
}
