import type { Logger } from 'pino';

export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;
/** After the warm processes' kill began: SIGKILL, reaping, runsc kill/delete and bundle removal. */
const RUNTIME_CLOSE_MS = 10_000;
/** Beyond an aborted run's SIGTERM → SIGKILL grace: settling it and writing its answer. */
const ANSWER_AFTER_ABORT_MS = 3_000;

export interface ShutdownSteps {
  reason: string;
  log: Logger;
  /** How long requests in flight may run on before their agent runs are aborted. */
  graceMs: number;
  /** The agent runtime's SIGTERM → SIGKILL grace (an aborted run ends within it). */
  killGraceMs: number;
  stopTimers(): void;
  closeGateway(): Promise<unknown>;
  /** Stops accepting at once, waits for requests in flight up to `graceMs`, closes connections. */
  closeIpc(graceMs: number): Promise<void>;
  /** Aborts agent runs still in flight and waits until they are settled (answered, receipted). */
  abortRuns(): Promise<void>;
  closeRuntime(): Promise<void>;
  recordStop(): void;
  removeSocket(): void;
  /** What start-up acquired, released in reverse order; each idempotent. */
  cleanups: Array<() => unknown>;
}

/**
 * The daemon's shutdown (SPEC 1, docs/operations.md "Shutdown"). Every wait is bounded and its
 * timer holds the event loop open, so shutdown always reaches the `daemon_stopped` row, the
 * checkpoint and the removal of the socket and pid file, whatever a child process does.
 */
export async function shutDown(steps: ShutdownSteps): Promise<void> {
  const { log } = steps;
  log.info({ reason: steps.reason }, 'covenantd shutting down');
  steps.stopTimers();
  const answerMs = steps.killGraceMs + ANSWER_AFTER_ABORT_MS;
  // Requests still running when the grace ends are answered (their runs aborted, failed
  // receipts) rather than cut off.
  const abortLate = setTimeout(() => void steps.abortRuns(), steps.graceMs);
  await Promise.all([
    bounded(steps.closeGateway(), steps.graceMs + answerMs + 1000, 'closing the HTTP gateway', log),
    bounded(steps.closeIpc(steps.graceMs + answerMs), steps.graceMs + answerMs + 1000, 'closing the socket server', log),
  ]);
  clearTimeout(abortLate);
  await bounded(steps.abortRuns(), answerMs, 'settling aborted agent runs', log);
  await bounded(steps.closeRuntime(), RUNTIME_CLOSE_MS, 'ending warm agent processes and sandboxes', log);
  try {
    steps.recordStop();
  } catch (error) {
    log.error({ err: error }, 'could not write the daemon_stopped row and the shutdown checkpoint');
  }
  steps.removeSocket();
  log.info({ reason: steps.reason }, 'covenantd stopped');
  await runCleanups(steps.cleanups);
}

/** Runs cleanups newest first; one that fails does not keep the others from running. */
export async function runCleanups(cleanups: Array<() => unknown>): Promise<void> {
  for (const cleanup of [...cleanups].reverse()) {
    try {
      await cleanup();
    } catch {
      // best effort: the lock and the pid file must still be released
    }
  }
}

/** Waits for `work` at most `ms` (the timer keeps the process alive meanwhile); says when it gave up. */
async function bounded(work: Promise<unknown>, ms: number, what: string, log: Logger): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'expired'>((resolve) => {
    timer = setTimeout(() => resolve('expired'), ms);
  });
  const outcome = await Promise.race([
    work.then(
      () => 'done' as const,
      (error: unknown) => {
        log.error({ err: error }, `${what} failed`);
        return 'done' as const;
      },
    ),
    expired,
  ]);
  clearTimeout(timer);
  if (outcome === 'expired') log.error({ ms }, `${what} did not finish within ${ms} ms; shutdown goes on without it`);
}
