import { spawnSync } from 'node:child_process';
import { latencyRatio, p50Pair, type Ratio } from './stats.js';

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `covenant version` as a whole process (daemon answering) vs `node -e ''`. */
export function benchCliStartup(cliBin: string, env: NodeJS.ProcessEnv, runs = 40): Ratio {
  const [subject, baseline] = p50Pair(
    runs,
    5,
    () => timeProcess([cliBin, 'version'], env),
    () => timeProcess(['-e', ''], env),
  );
  return latencyRatio({ name: 'CLI start-up (p50, whole process)', subject: 'covenant version', baseline: "node -e ''" }, subject, baseline, 1.5);
}
