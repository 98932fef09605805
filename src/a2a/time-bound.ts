/** Thrown by `within` when its time ran out first. */
export class TimedOut extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Runs `work` with a signal that aborts when `ms` passes or `outer` aborts, and rejects with
 * `TimedOut` when the time ran out first: a remote that never answers holds no socket.
 */
export async function within<T>(work: (signal: AbortSignal) => Promise<T>, ms: number, outer?: AbortSignal): Promise<T> {
  const abort = new AbortController();
  const stop = () => abort.abort();
  outer?.addEventListener('abort', stop, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    abort.abort();
  }, Math.max(0, ms));
  try {
    return await new Promise<T>((resolve, reject) => {
      abort.signal.addEventListener('abort', () => reject(timedOut ? new TimedOut(ms) : new Error('stopped')), { once: true });
      work(abort.signal).then(resolve, reject);
    });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', stop);
    abort.abort();
  }
}

/** Sleeps `ms`, or less when `signal` aborts (a backoff between delivery attempts). */
export function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
