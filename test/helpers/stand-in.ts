import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';

const LAUNCHER = new URL('../../src/runtime/supervisor/launcher.ts', import.meta.url).href;
const GVISOR = new URL('../../src/runtime/gvisor/index.ts', import.meta.url).href;

export interface StandIn<T> {
  /** The first line the stand-in wrote, parsed. */
  first: T;
  process: ChildProcessByStdio<Writable, Readable, null>;
  /** Makes it SIGKILL itself (where a test kills covenantd). */
  die(): void;
}

/**
 * A stand-in for covenantd that is killed the way covenantd can be: node running `body`, an ES
 * module in which `ProcessLauncher` and `GvisorRunner` are in scope. Its first stdout line is
 * JSON (what the test needs to know, e.g. pids); it SIGKILLs itself on `die()`, or earlier if
 * `body` does. The caller kills `process` if the test ends first.
 */
export async function startStandIn<T>(body: string): Promise<StandIn<T>> {
  const script = `
    const { ProcessLauncher } = await import(${JSON.stringify(LAUNCHER)});
    const { GvisorRunner } = await import(${JSON.stringify(GVISOR)});
    process.stdin.once('data', () => process.kill(process.pid, 'SIGKILL'));
    ${body}
  `;
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  const first = await new Promise<T>((resolve, reject) => {
    child.stdout.once('data', (chunk: Buffer) => resolve(JSON.parse(chunk.toString()) as T));
    child.once('exit', (code, signal) => reject(new Error(`the stand-in exited (${signal ?? code}) before its first line`)));
  });
  return { first, process: child, die: () => child.stdin.write('die\n') };
}

/**
 * A stand-in covenantd whose gVisor runner (`options`, plus a launcher started at once) is
 * running `request`; its first line names the launcher's pid.
 */
export function startGvisorStandIn(options: object, request: object): Promise<StandIn<{ launcher: number }>> {
  return startStandIn(`
    const launcher = new ProcessLauncher();
    launcher.start();
    const runner = new GvisorRunner({ ...${JSON.stringify(options)}, launcher });
    process.stdout.write(JSON.stringify({ launcher: launcher.pid }) + '\\n');
    void runner.run(${JSON.stringify(request)});
  `);
}
