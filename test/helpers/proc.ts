import { readdirSync, readFileSync } from 'node:fs';

export interface ProcEntry {
  pid: number;
  ppid: number;
  /** Process group id. */
  pgid: number;
}

/** Every live (not zombie) process, from Linux /proc. */
export function liveProcesses(): ProcEntry[] {
  const entries: ProcEntry[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (fields[0] !== 'Z') entries.push({ pid: Number(name), ppid: Number(fields[1]), pgid: Number(fields[2]) });
    } catch {
      // gone meanwhile
    }
  }
  return entries;
}

/** Every live process below `pid` (children, their children...), from Linux /proc. */
export function descendantsOf(pid: number): number[] {
  const all = liveProcesses();
  const found: number[] = [];
  const parents = [pid];
  while (parents.length > 0) {
    const parent = parents.pop()!;
    for (const p of all) {
      if (p.ppid === parent) {
        found.push(p.pid);
        parents.push(p.pid);
      }
    }
  }
  return found;
}

/** Whether the command line of `pid` contains `text` (false once the process is gone). */
export function commandLineHas(pid: number, text: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(text);
  } catch {
    return false;
  }
}

/** Live processes whose command line contains `text`. */
export function processesNaming(text: string): number[] {
  return liveProcesses()
    .filter((entry) => commandLineHas(entry.pid, text))
    .map((entry) => entry.pid);
}
