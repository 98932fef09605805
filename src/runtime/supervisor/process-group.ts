/**
 * Process groups: every agent launch (the agent itself, bwrap or runsc) is spawned with
 * setsid(), so its pid is the id of a group that holds everything it started.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const POLL_MS = 10;

/** Signals a whole process group. Never signals group 0/1 (that would hit the daemon itself). */
export function signalGroup(pid: number | undefined, signal: NodeJS.Signals | 0): boolean {
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
export function groupAlive(pid: number | undefined): boolean {
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

/** Waits up to `ms` for the group to be gone; true when it is. */
export async function waitGroupGone(pid: number | undefined, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (groupAlive(pid)) {
    if (performance.now() >= deadline) return false;
    await delay(POLL_MS);
  }
  return true;
}

export const delay = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves when `promise` settles or `ms` have passed, whichever comes first (the timer is cleared). */
export async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([promise.then(() => undefined, () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
