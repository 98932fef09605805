/**
 * Starts the timer of a run's budget deadline and returns what cancels it. covenantd uses real
 * time; an in-process test passes one it fires itself, so that no test's outcome depends on how
 * fast a busy machine runs an agent.
 */
export type DeadlineTimer = (ms: number, onDeadline: () => void) => () => void;

/** The deadline in real time; unref'd, so a pending deadline never holds the daemon up. */
export const realTimeDeadline: DeadlineTimer = (ms, onDeadline) => {
  const timer = setTimeout(onDeadline, ms);
  timer.unref();
  return () => clearTimeout(timer);
};
