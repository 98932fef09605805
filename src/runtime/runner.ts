/**
 * The contract every agent runner (trusted-local, linux-bwrap, linux-gvisor) fulfils. The dispatch
 * pipeline only ever talks to this interface.
 */
import type { AgentAnswer, HostCallSession } from './supervisor/stdio-protocol.js';

export interface AgentIntent {
  intent_id: string;
  text: string;
  /** Anything else the pipeline passes along (caller display, memory hints). */
  context?: Record<string, unknown>;
}

export type { AgentAnswer } from './supervisor/stdio-protocol.js';

export interface AgentRunRequest {
  agentId: string;
  /** Installed package directory ($COVENANT_HOME/agents/<id>). */
  packageDir: string;
  runtime: 'node' | 'python3' | 'bin';
  /** Entry file, relative to packageDir. */
  entry: string;
  intent: AgentIntent;
  timeoutMs: number;
  memoryMb: number;
  /** Extra environment, already filtered by the caller's allowlist. */
  env?: Record<string, string>;
  /** Cancels the run (budget preemption, daemon shutdown): the whole process group is killed. */
  signal?: AbortSignal;
  /**
   * Host calls (manifest `[agent] host_calls = true`): stdin stays open after the intent line,
   * call lines on stdout are served by this session and answered on stdin, and stdin is closed
   * once the answer arrives. Absent: the intent line then EOF.
   */
  hostCalls?: HostCallSession;
  /**
   * Told the answer as soon as it is read, before the process has exited (at most once): work
   * that only depends on the answer can run while the process exits. A hint only: the exit
   * still decides the outcome, and the run can still fail after it.
   */
  onAnswer?: (answer: AgentAnswer) => void;
}

/** What is needed to start an agent process (everything in a run request but the intent). */
export type AgentLaunch = Pick<AgentRunRequest, 'agentId' | 'packageDir' | 'runtime' | 'entry' | 'memoryMb' | 'env'>;

export type AgentFailureReason =
  | 'timeout'
  | 'stdout_overflow'
  | 'malformed_output'
  | 'nonzero_exit'
  | 'spawn_failed'
  | 'aborted'
  | 'sandbox_unavailable';

export type AgentRunResult =
  | { ok: true; answer: AgentAnswer; wallMs: number }
  | { ok: false; reason: AgentFailureReason; message: string; wallMs: number; exitCode?: number | null };

export interface AgentRunner {
  readonly backend: 'trusted-local' | 'linux-bwrap' | 'linux-gvisor';
  run(request: AgentRunRequest): Promise<AgentRunResult>;
  /** Releases warm processes or containers. */
  close?(): Promise<void>;
}
