import { spawnSync } from 'node:child_process';
import { percentile, type Ratio } from './stats.js';

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `covenant version` as a whole process (daemon answering) vs `node -e ''`. */
export function benchCliStartup(cliBin: string, env: NodeJS.ProcessEnv, runs = 40): Ratio {
  for (let i = 0; i < 5; i += 1) {
    timeProcess([cliBin, 'version'], env);
    timeProcess(['-e', ''], env);
  }
  const cli: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    cli.push(timeProcess([cliBin, 'version'], env));
    bare.push(timeProcess(['-e', ''], env));
  }
  const subject = percentile(cli, 50);
  const baseline = percentile(bare, 50);
  return {
    name: 'CLI start-up (p50, whole process)',
    subject: 'covenant version',
    baseline: "node -e ''",
    subjectValue: subject,
    baselineValue: baseline,
    unit: 'ms',
    ratio: subject / baseline,
    target: '<= 1.5',
    met: subject / baseline <= 1.5,
  };
}
