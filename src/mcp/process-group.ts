/**
 * The kill ladder for an MCP server's process group (SPEC 11): SIGTERM to the whole group, up to
 * the grace for every member to go, then SIGKILL to what is left, so a server started through a
 * wrapper (`npx`, `sh -c`) leaves nothing behind. The group primitives are the runtime
 * supervisor's (one definition for agents and MCP servers).
 */
import type { ChildProcess } from 'node:child_process';
import { signalGroup, waitGroupGone } from '../runtime/index.js';

export const DEFAULT_GROUP_KILL_GRACE_MS = 2000;
const AFTER_SIGKILL_MS = 2000;

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM the group, wait up to `graceMs` for all of it to go, then SIGKILL whatever is left. */
export async function stopGroup(child: ChildProcess, graceMs = DEFAULT_GROUP_KILL_GRACE_MS): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  signalGroup(pid, 'SIGTERM');
  if (!(await waitGroupGone(pid, graceMs))) {
    signalGroup(pid, 'SIGKILL');
    await waitGroupGone(pid, AFTER_SIGKILL_MS);
  }
  await exited(child);
}


