/**
 * covenantd's side of the launcher process (launcher-main.ts): agent processes started without
 * blocking covenantd's event loop. node's `spawn` forks the caller and waits for the child's
 * `exec`; at covenantd's size that held its loop 5–11 ms a spawn (docs/runtime.md, "The
 * launcher"). The launcher is forked once, by `start()` when the first agent that needs it is
 * loaded (at start-up, while covenantd is still small) or by the first spawn, and again after it
 * dies. A started process arrives as a `RemoteChild`: its pid, its three stdio sockets (handed
 * over the IPC channel) and its exit, as a ChildProcess gives them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildLike, SpawnSpec } from './agent-process.js';
import { isLauncherReport, type LaunchRequest, type LauncherReport } from './launcher-protocol.js';
import { signalGroup } from './process-group.js';

/** The launcher module next to this one: .js when built, .ts under tsx (tests). */
function launcherEntry(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url);
  const ts = here.endsWith('.ts');
  return { file: path.join(path.dirname(here), ts ? 'launcher-main.ts' : 'launcher-main.js'), execArgv: ts ? ['--import', 'tsx'] : [] };
}

/** A process the launcher started: what AgentProcess needs of a ChildProcess. */
export class RemoteChild extends EventEmitter implements ChildLike {
  stdin: Socket | null = null;
  stdout: Socket | null = null;
  stderr: Socket | null = null;
  exited = false;
  referenced = true;
  private exitTold = false;
  private outputOpen = 2;

  constructor(
    readonly pid: number,
    private readonly onRefChange: () => void,
  ) {
    super();
  }

  /** The three sockets are here: the output ones count towards 'close', as a ChildProcess's do. */
  attached(): void {
    for (const stream of [this.stdout, this.stderr]) {
      stream?.once('close', () => {
        this.outputOpen -= 1;
        this.closeIfDone();
      });
    }
  }

  /**
   * The exit is told a turn later: the report can arrive in the same read of the channel as the
   * last stdio socket, before whoever the child was handed to (in a promise continuation) has
   * listened.
   */
  exit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.exited) return;
    this.exited = true;
    this.onRefChange();
    setImmediate(() => {
      this.emit('exit', code, signal);
      this.exitTold = true;
      this.closeIfDone();
    });
  }

  private closeIfDone(): void {
    if (this.exitTold && this.outputOpen === 0) this.emit('close');
  }

  ref(): void {
    this.referenced = true;
    this.onRefChange();
  }

  unref(): void {
    this.referenced = false;
    this.onRefChange();
  }
}

interface Launch {
  resolve: (child: RemoteChild | Error) => void;
  child: RemoteChild | null;
}

export class ProcessLauncher {
  private proc: ChildProcess | null = null;
  private nextId = 1;
  /** Launches whose pid or stdio has not all arrived. */
  private readonly launching = new Map<number, Launch>();
  /** Started and not yet exited. */
  private readonly live = new Map<number, RemoteChild>();
  private closed = false;
  /** How many times the launcher was forked (status and tests). */
  starts = 0;

  /** Pid of the launcher process, while one runs (tests). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  /**
   * Starts `spec` in the launcher: resolves with the child once its pid and stdio are here, or
   * with the error its spawn failed with (or why the launcher could not start it).
   */
  spawn(spec: SpawnSpec): Promise<RemoteChild | Error> {
    if (this.closed) return Promise.resolve(new Error('the launcher is closed'));
    let proc: ChildProcess;
    try {
      proc = this.running();
    } catch (err) {
      return Promise.resolve(err as Error);
    }
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.launching.set(id, { resolve, child: null });
      this.updateRef();
      const request: LaunchRequest = { kind: 'launch', id, spec };
      proc.send(request, (err) => {
        if (err) this.settle(id, new Error(`the launcher could not be asked to start ${spec.command}: ${err.message}`));
      });
    });
  }

  /**
   * Forks the launcher now, if it is not running, instead of on the first spawn: that first
   * spawn, a cold run's, would otherwise wait for the launcher's boot. A fork that fails is
   * reported by that spawn.
   */
  start(): void {
    if (this.closed) return;
    try {
      this.running();
    } catch {
      // the next spawn reports it
    }
  }

  /** Closes the channel: the launcher kills every process group it started and exits. */
  close(): void {
    this.closed = true;
    const proc = this.proc;
    if (proc?.connected) proc.disconnect();
    proc?.stdin?.destroy();
  }

  private running(): ChildProcess {
    if (this.proc !== null) return this.proc;
    const entry = launcherEntry();
    // Nothing of covenantd's environment: the launcher needs none, and each spec brings its own.
    // Its stdin is a pipe this process holds and never writes: the launcher's end of file when
    // covenantd dies, however it dies (launcher-main.ts). Not a reason to keep this loop alive.
    const proc = fork(entry.file, [], { env: {}, execArgv: entry.execArgv, stdio: ['pipe', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    (proc.stdin as Socket | null)?.unref();
    proc.stdin?.on('error', () => undefined);
    this.starts += 1;
    this.proc = proc;
    proc.on('message', (message: unknown, handle: unknown) => {
      if (isLauncherReport(message)) this.receive(message, handle as Socket | undefined);
    });
    proc.on('error', () => undefined); // 'exit' follows
    proc.once('exit', (code, signal) => this.lost(proc, code, signal));
    this.updateRef();
    return proc;
  }

  private receive(report: LauncherReport, handle: Socket | undefined): void {
    const launch = this.launching.get(report.id);
    switch (report.kind) {
      case 'started':
        if (launch) launch.child = new RemoteChild(report.pid, () => this.updateRef());
        return;
      case 'failed':
        this.settle(report.id, Object.assign(new Error(report.message), { code: report.code ?? undefined }));
        return;
      case 'stdio': {
        const child = launch?.child;
        if (!launch || !child || handle === undefined) {
          handle?.destroy();
          return;
        }
        if (report.fd === 0) child.stdin = handle;
        else if (report.fd === 1) child.stdout = handle;
        else child.stderr = handle;
        if (child.stdin !== null && child.stdout !== null && child.stderr !== null) {
          child.attached();
          this.live.set(report.id, child);
          this.settle(report.id, child);
        }
        return;
      }
      case 'exit': {
        const child = this.live.get(report.id) ?? launch?.child;
        this.live.delete(report.id);
        // An exit before all its stdio arrived: the launch failed as far as covenantd can use it.
        if (launch) this.settle(report.id, new Error(`the process exited before its stdio was handed over (code ${report.code}, signal ${report.signal})`));
        child?.exit(report.code, report.signal);
      }
    }
  }

  private settle(id: number, outcome: RemoteChild | Error): void {
    const launch = this.launching.get(id);
    if (!launch) return;
    this.launching.delete(id);
    if (outcome instanceof Error && launch.child !== null) {
      // started, but unusable here: nothing may be left running
      signalGroup(launch.child.pid, 'SIGKILL');
      for (const stream of [launch.child.stdin, launch.child.stdout, launch.child.stderr]) stream?.destroy();
    }
    launch.resolve(outcome);
    this.updateRef();
  }

  /** The launcher died: its children's exits will never be reported, so they are killed and reported here. */
  private lost(proc: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.proc !== proc) return;
    this.proc = null;
    const why = new Error(`the launcher process stopped (${signal ?? `code ${code}`})`);
    for (const id of [...this.launching.keys()]) this.settle(id, why);
    const live = [...this.live.values()];
    this.live.clear();
    for (const child of live) {
      signalGroup(child.pid, 'SIGKILL');
      child.exit(null, 'SIGKILL');
    }
  }

  /** The channel keeps covenantd's loop alive only while a launch is under way or a referenced child runs. */
  private updateRef(): void {
    const proc = this.proc;
    if (proc === null) return;
    let needed = this.launching.size > 0;
    for (const child of this.live.values()) if (child.referenced) needed = true;
    if (needed) {
      proc.ref();
      proc.channel?.ref();
    } else {
      proc.unref();
      proc.channel?.unref();
    }
  }
}
