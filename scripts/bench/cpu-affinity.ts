import { execFileSync } from 'node:child_process';

/** A process's CPU affinity mask as `taskset -p` prints it (hex, no prefix). */
function affinityMask(pid: number): string {
  const out = execFileSync('taskset', ['-p', String(pid)], { encoding: 'utf8' });
  const mask = /:\s*([0-9a-f,]+)\s*$/i.exec(out)?.[1];
  if (mask === undefined) throw new Error(`taskset -p ${pid} printed no mask: ${out.trim()}`);
  return mask;
}

/**
 * Every thread of each of `pids` confined to `cpu` (`taskset -a`; threads and children started
 * later inherit it); returns what puts back each process's mask as it was. A round trip between
 * two processes costs two to three times more when they sit on different vCPUs of this VM than
 * on one, and the scheduler keeps a process where it is for seconds, so unpinned, two identical
 * servers read 0.7–2.1× each other (performance.md, "IPC ping on one vCPU").
 */
export function pinToCpu(pids: readonly number[], cpu: number): () => void {
  const masks = pids.map((pid) => [pid, affinityMask(pid)] as const);
  for (const pid of pids) execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
  return () => {
    for (const [pid, mask] of masks) execFileSync('taskset', ['-a', '-p', mask, String(pid)], { stdio: 'ignore' });
  };
}
