// What the hypervisor took from this VM while each bench ran. On a shared host a vCPU can be
// descheduled for whole milliseconds; the guest's clocks (wall time, and the CPU time of its
// processes) keep running meanwhile, so every timed row of a bench run with a high steal share
// reads slower on both sides than the code is. /proc/stat counts it per CPU in the `steal` field.
import { readFileSync } from 'node:fs';

/** Clock ticks of all CPUs together: the hypervisor's share and the total. */
export interface CpuTicks {
  steal: number;
  total: number;
}

/** The aggregate `cpu` line of /proc/stat: user nice system idle iowait irq softirq steal (guest time is inside user). */
export function parseProcStat(text: string): CpuTicks {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (line === undefined) throw new Error('no aggregate "cpu " line in /proc/stat');
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 8 || fields.some((n) => !Number.isFinite(n))) throw new Error(`unreadable /proc/stat line: ${line}`);
  return { steal: fields[7]!, total: fields.reduce((sum, n) => sum + n, 0) };
}

export function readCpuTicks(): CpuTicks {
  return parseProcStat(readFileSync('/proc/stat', 'utf8'));
}

/** The share of all CPUs' time the hypervisor took between two readings (0 when no tick passed). */
export function stealShare(before: CpuTicks, after: CpuTicks): number {
  const total = after.total - before.total;
  return total > 0 ? (after.steal - before.steal) / total : 0;
}

/** One line for the table's foot: each bench's steal share, in percent. */
export function formatSteal(shares: Record<string, number>): string {
  const parts = Object.entries(shares).map(([name, share]) => `${name} ${(share * 100).toFixed(1)} %`);
  return `host steal (the hypervisor's share of all vCPUs' time while each bench ran, /proc/stat): ${parts.join(', ')}`;
}
