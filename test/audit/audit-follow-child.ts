import { spawn, type ChildProcess } from 'node:child_process';
import { CLI_BIN, REPO_ROOT } from '../helpers/binaries.js';

export interface FollowedEvent {
  seq: number;
  kind: string;
  issuer: { display: string; pubkey: string };
  payload: Record<string, unknown>;
}

/** A running `covenant audit recent --follow` child whose JSON lines are collected as they come. */
export class FollowChild {
  readonly child: ChildProcess;
  readonly events: FollowedEvent[] = [];
  stdout = '';
  stderr = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(args: string[], env: NodeJS.ProcessEnv) {
    this.child = spawn(process.execPath, [CLI_BIN, 'audit', 'recent', '--follow', ...args], {
      env,
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let partial = '';
    this.child.stdout!.on('data', (chunk: Buffer) => {
      this.stdout += chunk.toString();
      partial += chunk.toString();
      const lines = partial.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as FollowedEvent);
    });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Waits until an event satisfies `predicate` (or throws after `timeoutMs` with what was seen). */
  async waitFor(predicate: (event: FollowedEvent) => boolean, timeoutMs = 60_000): Promise<FollowedEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(predicate);
      if (found) return found;
      if (this.child.exitCode !== null) throw new Error(`follow exited (${this.child.exitCode}) early: ${this.stderr}`);
      if (Date.now() > deadline) {
        throw new Error(`timed out; saw kinds ${this.events.map((e) => `${e.seq}:${e.kind}`).join(', ')}; stderr: ${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async waitForStderr(pattern: RegExp, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this.stderr)) {
      if (Date.now() > deadline) throw new Error(`stderr never matched ${pattern}: ${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Sends a signal (when given) and waits for the exit. */
  async stop(signal?: NodeJS.Signals, timeoutMs = 60_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (signal && this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}
