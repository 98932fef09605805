import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Counting what a server process executes, not how long it takes: valgrind's callgrind, with its
 * cache and branch simulation. Its counts do not move with the load of the machine or the speed
 * of a vCPU, so they tell apart what the wall-clock rows cannot (docs/performance.md).
 */

/** The events of a callgrind dump, per the `events:` line of its file. */
export type CallgrindTotals = Record<string, number>;

/**
 * valgrind's arguments before the program: callgrind with instrumentation off until
 * `callgrind_control -i on` (start-up and warm-up cost nothing and are not counted), V8's
 * generated code re-read when it changes, and simulated caches of fixed sizes, so the counts
 * compare across machines: the first level of the Intel machine of docs/performance.md (32 KiB
 * instruction, 48 KiB data) and, as the last level, its L2 (2.5 MiB: what a working set
 * spilling from the core's own caches costs).
 */
export function callgrindArgs(outFile: string): string[] {
  return [
    '-q',
    '--tool=callgrind',
    '--instr-atstart=no',
    '--smc-check=all-non-file',
    '--cache-sim=yes',
    '--I1=32768,8,64',
    '--D1=49152,12,64',
    '--LL=2621440,10,64',
    '--branch-sim=yes',
    `--callgrind-out-file=${outFile}`,
  ];
}

/** Whether valgrind and callgrind_control are installed. */
export function callgrindInstalled(): boolean {
  return ['valgrind', 'callgrind_control'].every((tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0);
}

/** The `totals:` of a callgrind dump, named by its `events:` line. */
export function parseCallgrindTotals(text: string): CallgrindTotals {
  const events = /^events: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/);
  const totals = /^totals: (.+)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number);
  if (!events || !totals || totals.some((value) => !Number.isFinite(value))) throw new Error('not a callgrind dump: no events: and totals: lines');
  return Object.fromEntries(events.map((event, i) => [event, totals[i] ?? 0]));
}

/**
 * What process `pid` (running under `callgrindArgs(outFile)`, not yet counted) executes during
 * `run`, counted twice: the first pass fills the simulated caches, the second is the one returned
 * (a steady state, not the cold misses of the first requests). Each pass is one dump:
 * `outFile`.1 and `outFile`.2.
 */
export async function countSteadyState(pid: number, outFile: string, run: () => Promise<void>): Promise<CallgrindTotals> {
  const control = (...args: string[]) => execFileSync('callgrind_control', [...args, String(pid)], { stdio: 'ignore' });
  control('-i', 'on');
  await run();
  control('-d');
  await run();
  control('-i', 'off');
  control('-d');
  return parseCallgrindTotals(readFileSync(`${outFile}.2`, 'utf8'));
}
