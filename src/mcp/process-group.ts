/**
 * The kill ladder for an MCP server's process group (SPEC 11): SIGTERM to the whole group, a
 * grace period for the leader to exit, then SIGKILL to the group, so a server started through a
 * wrapper (`npx`, `sh -c`) leaves nothing behind. Minimal on purpose: to be merged with the
 * runtime's process supervisor (docs/mcp.md).
 */
import type { ChildProcess } from 'node:child_process';

export const DEFAULT_GROUP_KILL_GRACE_MS = 2000;

/** Sends `signal` to the process group led by `pid`; false when no process of it is left. */
export function signalGroup(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is gone
  }
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM the group, wait up to `graceMs` for the leader, then SIGKILL whatever of the group is left. */
export async function stopGroup(child: ChildProcess, graceMs = DEFAULT_GROUP_KILL_GRACE_MS): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, 'SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([exited(child), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
  clearTimeout(timer);
  signalGroup(pid, 'SIGKILL');
  await exited(child);
}
