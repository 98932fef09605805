import { descendantsOf } from '../../test/helpers/proc.js';
import { cpuNanoseconds } from './idle.js';

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Blocks the bench for `ms` (its timed commands run with spawnSync: there is no loop to yield to). */
function sleepSync(ms: number): void {
  Atomics.wait(pause, 0, 0, ms);
}

/** `root` and its descendants, sorted. */
function processTree(root: number): number[] {
  return [root, ...descendantsOf(root)].sort((a, b) => a - b);
}

/** CPU nanoseconds used so far by every thread of `pids`. */
function cpuNs(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += cpuNanoseconds(pid);
    } catch {
      // exited: the tree changed, which the caller sees
    }
  }
  return total;
}

/**
 * Blocks until `root` and its descendants (covenantd, its warm agents and their sandboxes) are
 * idle: the same processes, and under `busyMs` of CPU between two looks `windowMs` apart. So
 * what the daemon does after an answer (the settle it already committed, the replacement warm
 * process it boots) is over before the next command is timed, and that command runs on a machine
 * as quiet as the one the agent by hand gets. Throws after `limitMs`.
 */
export function waitUntilQuiet(root: number, windowMs = 20, busyMs = 1, limitMs = 10_000): void {
  const deadline = Date.now() + limitMs;
  let tree = processTree(root);
  let used = cpuNs(tree);
  for (;;) {
    sleepSync(windowMs);
    const now = processTree(root);
    const nowUsed = cpuNs(now);
    const same = now.length === tree.length && now.every((pid, i) => pid === tree[i]);
    if (same && nowUsed - used < busyMs * 1e6) return;
    if (Date.now() > deadline) throw new Error(`process ${root} and its children did not go idle within ${limitMs} ms`);
    tree = now;
    used = nowUsed;
  }
}
