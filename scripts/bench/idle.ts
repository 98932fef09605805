// Issue 15 item 8: the daemon costs nothing while idle and its memory stays flat under load.
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROTATION_CHECK_MS } from '../../src/daemon/logger.js';
import { IpcClient } from '../../src/ipc/index.js';
import type { Ratio } from './stats.js';

/** utime + stime of a process, in clock ticks (/proc/<pid>/stat fields 14 and 15). */
export function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * Nanoseconds every thread of `pid` has run (the first field of each task's schedstat): the
 * resolution a per-request figure needs over a few hundred requests, where stat's ticks are 10 ms.
 * A thread that exits while it is read counts no more; throws when `pid` itself is gone.
 */
export function cpuNanoseconds(pid: number): number {
  let total = 0;
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, 'utf8').split(' ', 1)[0]);
    } catch {
      // that thread exited between the listing and the read
    }
  }
  return total;
}

function rssMiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) / 1024;
}

async function submitIntents(client: IpcClient, count: number): Promise<void> {
  for (let i = 0; i < count; i += 1) {
    const reply = await client.request({ kind: 'submit_intent', text: `idle bench probe ${i}` });
    if (reply.kind !== 'intent_result') throw new Error(`submit_intent answered ${reply.kind}`);
  }
}

/**
 * The start-up window: past V8's one-off memory reducer (a "Mark-Compact (reduce)" 15-25 s after
 * start-up's allocations, 10-15 ticks with its helper threads) and the log's one size check, due
 * ROTATION_CHECK_MS after the start-up lines (a stat of the file: a wake-up the tick accounting
 * may charge a whole tick for).
 */
const STARTUP_SECONDS = ROTATION_CHECK_MS / 1000 + 5;

/**
 * CPU ticks of the daemon over `idleSeconds` with no client once its start-up is over (target:
 * none), and its RSS at start, after `first` intents and after `first + more` (target: flat, at
 * most 10% growth). Run first, on the fresh bench daemon, so "at start" is what it says.
 */
export async function benchIdle(pid: number, sock: string, token: string, idleSeconds = 30, first = 4000, more = 4000): Promise<Ratio[]> {
  const atStart = rssMiB(pid);
  // Both windows are reported; the second is the idle state a daemon spends its weeks in.
  const start = cpuTicks(pid);
  await sleep(STARTUP_SECONDS * 1000);
  const settled = cpuTicks(pid);
  await sleep(idleSeconds * 1000);
  const ticks = cpuTicks(pid) - settled;
  const startTicks = settled - start;
  const client = await IpcClient.connect(sock);
  await client.authenticate(token);
  await submitIntents(client, first);
  const afterFirst = rssMiB(pid);
  await submitIntents(client, more);
  const afterMore = rssMiB(pid);
  client.close();
  return [
    {
      name: `daemon CPU in its first ${STARTUP_SECONDS} s after start, no client`,
      subject: 'covenantd CPU ticks right after start',
      baseline: 'no work',
      subjectValue: startTicks,
      baselineValue: 0,
      unit: 'ticks',
      ratio: startTicks,
      target: "reported (V8 reduces the start-up heap once; the log's size is checked once)",
      met: true,
    },
    {
      name: `daemon idle CPU (the next ${idleSeconds} s, no client)`,
      subject: 'covenantd CPU ticks while idle',
      baseline: 'no work',
      subjectValue: ticks,
      baselineValue: 0,
      unit: 'ticks',
      ratio: ticks,
      target: '<= 1 tick',
      met: ticks <= 1,
    },
    {
      name: `daemon RSS after ${first + more} vs ${first} intents (at start ${atStart.toFixed(0)} MiB)`,
      subject: `RSS after ${first + more} intents`,
      baseline: `RSS after ${first} intents`,
      subjectValue: afterMore,
      baselineValue: afterFirst,
      unit: 'MiB',
      ratio: afterMore / afterFirst,
      target: '<= 1.1 (flat)',
      met: afterMore / afterFirst <= 1.1,
    },
  ];
}
