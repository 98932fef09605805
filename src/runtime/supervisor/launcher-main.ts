/**
 * The launcher process (launcher.ts forks it): starts agent processes for covenantd, so that
 * node's `spawn`, which forks the calling process and waits for the child's `exec`, blocks this
 * small process's loop instead of covenantd's (5–11 ms a spawn at covenantd's size; docs/runtime.md,
 * "The launcher"). For each launch it reports the pid, hands the child's three stdio sockets to
 * covenantd over the IPC channel, and reports the exit. When covenantd is gone (the channel
 * closed, or its end of this process's stdin) it stops everything it started (its process group
 * SIGKILLed, or the spec's `orphanStop`: `runsc kill`, then the group and `runsc delete --force`
 * if it is still there) and exits.
 */
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { spawnAgent, type SpawnSpec } from './agent-process.js';
import { runControl } from './control-command.js';
import { isLaunchRequest, type LauncherReport } from './launcher-protocol.js';
import { signalGroup, waitGroupGone } from './process-group.js';

/** How long one control command of an `orphanStop` may take. */
const CONTROL_TIMEOUT_MS = 10_000;

/** Each started process that has not exited, with its spec. */
const running = new Map<ChildProcess, SpawnSpec>();

function report(message: LauncherReport, handle?: Socket): void {
  if (process.connected) process.send?.(message, handle);
}

/**
 * Stops node reading a child's output here: the socket goes to covenantd unread, with whatever
 * the child already wrote still in it. node starts reading a child's stdout and stderr as soon as
 * it creates them; no read has happened yet when this runs (same turn as the spawn), and a
 * paused stream does not stop the handle (only `readStop` does).
 */
function keepUnread(stream: Readable | null): void {
  const handle = (stream as unknown as { _handle?: { reading?: boolean; readStop?: () => number } } | null)?._handle;
  if (handle?.readStop === undefined) throw new Error('this node version keeps a child stream without a readStop handle');
  handle.reading = false;
  handle.readStop();
}

function launch(id: number, spec: SpawnSpec): void {
  let child: ChildProcess;
  try {
    child = spawnAgent(spec);
  } catch (err) {
    const error = err as NodeJS.ErrnoException;
    report({ kind: 'failed', id, code: error.code ?? null, message: error.message });
    return;
  }
  if (child.pid === undefined) {
    child.once('error', (error: NodeJS.ErrnoException) => report({ kind: 'failed', id, code: error.code ?? null, message: error.message }));
    return;
  }
  const pid = child.pid;
  try {
    keepUnread(child.stdout);
    keepUnread(child.stderr);
  } catch (err) {
    signalGroup(pid, 'SIGKILL');
    report({ kind: 'failed', id, code: null, message: (err as Error).message });
    return;
  }
  child.on('error', () => undefined); // 'exit' follows and is what covenantd hears
  child.once('exit', (code, signal) => {
    running.delete(child);
    report({ kind: 'exit', id, code, signal });
  });
  running.set(child, spec);
  report({ kind: 'started', id, pid });
  report({ kind: 'stdio', id, fd: 0 }, child.stdin as Socket);
  report({ kind: 'stdio', id, fd: 1 }, child.stdout as Socket);
  report({ kind: 'stdio', id, fd: 2 }, child.stderr as Socket);
}

process.on('message', (message: unknown) => {
  if (isLaunchRequest(message)) launch(message.id, message.spec);
});

// A terminal's Ctrl-C or hang-up reaches the whole foreground group, this process too: covenantd
// shuts down on it and closes the channel, which is when this process stops.
process.on('SIGINT', () => undefined);
process.on('SIGHUP', () => undefined);

/** Stops one started process the way its spec says (see `OrphanStop`), as the supervisor's kill ladder does. */
async function stopChild(pid: number | undefined, spec: SpawnSpec): Promise<void> {
  const orderly = spec.orphanStop;
  if (orderly === undefined) {
    signalGroup(pid, 'SIGKILL');
    return;
  }
  await runControl(orderly.kill, CONTROL_TIMEOUT_MS);
  if (await waitGroupGone(pid, orderly.settleMs)) return;
  signalGroup(pid, 'SIGKILL');
  await runControl(orderly.cleanup, CONTROL_TIMEOUT_MS);
}

let stopping = false;

async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await Promise.all([...running].map(([child, spec]) => stopChild(child.pid, spec)));
  process.exit(0);
}

const covenantdGone = () => void stop();
process.on('disconnect', covenantdGone);
// covenantd holds the other end of stdin and never writes to it: its end of file says covenantd
// is gone even when the IPC channel does not. A socket handed over and not yet acknowledged when
// covenantd died keeps node from ever reporting that channel's disconnect.
process.stdin.on('end', covenantdGone);
process.stdin.on('error', covenantdGone);
process.stdin.resume();
