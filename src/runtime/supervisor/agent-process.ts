/**
 * One spawned launch (the agent itself, or bwrap / runsc around it) with its output buffers.
 * It collects from the moment it starts, so a warm process that writes before its intent is
 * noticed. It enforces the stdout cap itself (the supervisor decides what happens next) and
 * keeps only the tail of stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

/** A command run to completion with no stdio (runsc's control commands). */
export interface ControlCommand {
  command: string;
  args: string[];
  env: Record<string, string>;
}

/**
 * How a process is stopped when covenantd is gone, for one that SIGKILLing its process group
 * would not stop cleanly: `runsc run` killed so leaves its sandbox stopped but alive until
 * `runsc delete --force`. `kill` is run first; if the process has not exited `settleMs` later,
 * its group is SIGKILLed and `cleanup` is run.
 */
export interface OrphanStop {
  kill: ControlCommand;
  settleMs: number;
  cleanup: ControlCommand;
}

/** The process a backend wants started: always in its own session and process group. */
export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /** Drop to this user (trusted-local under a root daemon); libuv enters cwd first. */
  uid?: number;
  gid?: number;
  /** Default: its process group is SIGKILLed. */
  orphanStop?: OrphanStop;
}

/** Starts `spec` the one way every launch is started, here or in the launcher (launcher-main.ts). */
export function spawnAgent(spec: SpawnSpec): ChildProcess {
  return spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env,
    detached: true, // setsid(): own session and process group, pgid = pid
    stdio: ['pipe', 'pipe', 'pipe'],
    windowsHide: true,
    ...(spec.uid !== undefined && spec.gid !== undefined ? { uid: spec.uid, gid: spec.gid } : {}),
  });
}

/**
 * What AgentProcess uses of a started process: a node ChildProcess, or one the launcher started
 * (launcher.ts `RemoteChild`, its stdio sockets handed over).
 */
export interface ChildLike {
  readonly pid?: number | undefined;
  readonly stdin: Writable | null;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'exit', listener: (code: number | null, signal: NodeJS.Signals | null) => void): this;
  on(event: 'close', listener: () => void): this;
  ref(): void;
  unref(): void;
}

export interface OutputCaps {
  maxStdoutBytes: number;
  maxStderrBytes: number;
}

type Unrefable = { ref?: () => void; unref?: () => void };

export class AgentProcess {
  readonly child: ChildLike | null;
  readonly pid: number | undefined;
  readonly exited: Promise<void>;
  readonly closed: Promise<void>;
  spawnError: Error | undefined;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  hasExited = false;
  overflowed = false;
  /** Called once when stdout passes the cap. */
  onOverflow: (() => void) | undefined;
  /** Called after each stdout chunk is kept (not in line mode), with the chunk and the bytes kept so far. */
  onStdout: ((chunk: Buffer, keptBytes: number) => void) | undefined;
  /**
   * Line mode (host calls): each complete stdout line goes here instead of being kept, and the
   * cap applies to one line, not to the whole output.
   */
  private lineHandler: ((line: string) => void) | undefined;
  private partial: Buffer[] = [];
  private partialBytes = 0;

  private stdoutChunks: Buffer[] = [];
  private stdoutBytes = 0;
  private stderrChunks: Buffer[] = [];
  private stderrBytes = 0;

  /**
   * Spawns `spec` here, unless `started` is given: a process the launcher already started for
   * it, or the error it failed with.
   */
  constructor(spec: SpawnSpec, private readonly caps: OutputCaps, started?: ChildLike | Error) {
    let resolveExited!: () => void;
    let resolveClosed!: () => void;
    this.exited = new Promise((r) => (resolveExited = r));
    this.closed = new Promise((r) => (resolveClosed = r));
    const failed = (err: Error) => {
      this.spawnError = err;
      resolveExited();
      resolveClosed();
    };

    let child: ChildLike | null = null;
    if (started instanceof Error) failed(started);
    else if (started !== undefined) child = started;
    else {
      try {
        child = spawnAgent(spec);
      } catch (err) {
        failed(err as Error);
      }
    }
    this.child = child;
    this.pid = child?.pid;
    if (child === null) return;

    child.on('error', (err) => {
      if (child.pid === undefined) failed(err);
    });
    child.on('exit', (code, signal) => {
      this.hasExited = true;
      this.exitCode = code;
      this.exitSignal = signal;
      resolveExited();
    });
    child.on('close', () => resolveClosed());

    // EPIPE when the agent exits without reading stdin is not an error of ours.
    child.stdin?.on('error', () => {});
    child.stdout?.on('error', () => {});
    child.stderr?.on('error', () => {});

    child.stdout?.on('data', (chunk: Buffer) => {
      if (this.overflowed) return;
      if (this.lineHandler !== undefined) {
        this.stdoutBytes += chunk.length;
        this.splitLines(chunk);
        return;
      }
      if (this.stdoutBytes + chunk.length > this.caps.maxStdoutBytes) {
        this.overflowed = true;
        this.stdoutChunks = [];
        this.onOverflow?.();
        return;
      }
      this.stdoutChunks.push(chunk);
      this.stdoutBytes += chunk.length;
      this.onStdout?.(chunk, this.stdoutBytes);
    });
    child.stdout?.on('end', () => {
      // A last line without its newline is still a line.
      if (this.lineHandler === undefined || this.overflowed || this.partialBytes === 0) return;
      const line = Buffer.concat(this.partial).toString('utf8');
      this.partial = [];
      this.partialBytes = 0;
      this.lineHandler(line);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderrChunks.push(chunk);
      this.stderrBytes += chunk.length;
      if (this.stderrBytes > 2 * this.caps.maxStderrBytes) this.trimStderr();
    });
  }

  /** Still waiting for its intent: running, within its caps, nothing written to stdout yet. */
  get usable(): boolean {
    return this.spawnError === undefined && !this.hasExited && !this.overflowed && this.stdoutBytes === 0;
  }

  /** Switches to line mode; whatever stdout already holds is handed over first. */
  streamLines(handler: (line: string) => void): void {
    this.lineHandler = handler;
    const held = Buffer.concat(this.stdoutChunks);
    this.stdoutChunks = [];
    if (held.length > 0) this.splitLines(held);
  }

  private splitLines(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1 && !this.overflowed; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      start = nl + 1;
      if (this.partialBytes + piece.length > this.caps.maxStdoutBytes) return this.overflowLine();
      const line = Buffer.concat([...this.partial, piece]).toString('utf8');
      this.partial = [];
      this.partialBytes = 0;
      this.lineHandler?.(line);
    }
    if (this.overflowed || start >= chunk.length) return;
    const rest = chunk.subarray(start);
    if (this.partialBytes + rest.length > this.caps.maxStdoutBytes) return this.overflowLine();
    this.partial.push(Buffer.from(rest));
    this.partialBytes += rest.length;
  }

  private overflowLine(): void {
    this.overflowed = true;
    this.partial = [];
    this.partialBytes = 0;
    this.onOverflow?.();
  }

  private trimStderr(): void {
    const all = Buffer.concat(this.stderrChunks);
    const tail = all.subarray(Math.max(0, all.length - this.caps.maxStderrBytes));
    this.stderrChunks = [tail];
    this.stderrBytes = tail.length;
  }

  stdoutText(): string {
    return Buffer.concat(this.stdoutChunks).toString('utf8');
  }

  stderrText(): string {
    this.trimStderr();
    return Buffer.concat(this.stderrChunks).toString('utf8');
  }

  /** Writes the one stdin line and closes stdin. */
  send(line: string): void {
    if (this.spawnError === undefined) this.child?.stdin?.end(line);
  }

  /** Writes a stdin line and keeps stdin open (host calls: more lines follow). */
  write(line: string): void {
    const stdin = this.child?.stdin;
    if (this.spawnError === undefined && stdin && !stdin.writableEnded && !stdin.destroyed) stdin.write(line);
  }

  /** Closes stdin (the agent's answer arrived). */
  endInput(): void {
    const stdin = this.child?.stdin;
    if (stdin && !stdin.writableEnded) stdin.end();
  }

  /** Idle warm processes must not keep the daemon's event loop alive. */
  setRef(ref: boolean): void {
    const child = this.child;
    if (child === null) return;
    for (const target of [child, child.stdin, child.stdout, child.stderr] as Array<Unrefable | null>) {
      if (target) (ref ? target.ref : target.unref)?.call(target);
    }
  }

  destroyStdio(): void {
    this.child?.stdin?.destroy();
    this.child?.stdout?.destroy();
    this.child?.stderr?.destroy();
  }
}
