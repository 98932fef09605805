import { executionAsyncResource } from 'node:async_hooks';

/**
 * Whether promise hooks are installed in this process now (an enabled AsyncLocalStorage installs
 * them on Node 20). With hooks, a promise reaction runs with its promise as the current async
 * resource; without, with the empty top-level resource. Asked from a fresh macrotask, so no
 * store of the caller's is in play.
 */
export function promiseHooksActive(): Promise<boolean> {
  return new Promise((resolve) => {
    setImmediate(() => {
      void Promise.resolve().then(() => resolve(executionAsyncResource() instanceof Promise));
    });
  });
}
