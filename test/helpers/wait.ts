export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether a process with this pid exists (signal 0 probes without sending anything). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Polls `check` every `pollMs` until it holds or `ms` have passed; returns its last answer.
 * The deadline only bounds a failing test: it is generous so that a busy machine never hits it.
 */
export async function waitFor(check: () => boolean, ms = 60_000, pollMs = 25): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return check();
}
