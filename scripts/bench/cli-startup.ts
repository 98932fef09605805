import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { latencyRatio, percentile, type Ratio } from './stats.js';

function timeProcess(args: string[], env: NodeJS.ProcessEnv): number {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { env, stdio: 'ignore' });
  if (result.status !== 0) throw new Error(`${args.join(' ')} exited ${result.status}`);
  return Number(process.hrtime.bigint() - start) / 1e6;
}

const RAW_CLIENT = fileURLToPath(new URL('./raw-socket-client.cjs', import.meta.url));

/** Which program runs a row: the bin's bundle, the ES modules of dist/ it falls back to, or the raw socket client. */
type Program = 'bundle' | 'esm' | 'raw';

/** The hot commands run by the bin, each with the largest ratio to `node -e ''` it may take, and the floor under them. */
const HOT: Array<{ program: Program; args: string[]; name: string; label: string; target: number | string }> = [
  { program: 'bundle', args: ['version'], name: 'CLI start-up: version', label: 'covenant version', target: 1.3 },
  { program: 'bundle', args: ['ping'], name: 'CLI start-up: ping', label: 'covenant ping', target: 1.4 },
  // No agent installed yet (the dispatch benches run later): the daemon answers with the echo.
  { program: 'bundle', args: ['intent', 'hello', 'bench'], name: 'CLI start-up: intent', label: 'covenant intent (the echo answer)', target: 1.4 },
  // What the bin runs when its bundle is older than dist/ (`tsc` alone), for comparison.
  {
    program: 'esm',
    args: ['version'],
    name: 'CLI start-up: version, unbundled',
    label: 'covenant version from the ES modules of dist/ (dist/cli/main.js)',
    target: 'reported (the unbundled CLI)',
  },
  // The least any client of the socket costs: node's start, one CommonJS file, one connection.
  {
    program: 'raw',
    args: ['ping'],
    name: 'the floor under CLI start-up: a raw socket client ping',
    label: 'scripts/bench/raw-socket-client.cjs ping (one CommonJS file and node\'s own modules: token file, one write, two answers)',
    target: 'reported (the floor under the three rows above: what any client of the socket costs on this machine)',
  },
];

/**
 * Each hot command as a whole process (daemon answering) vs `node -e ''`, interleaved
 * (baseline, then every command, in turn) so load drift hits all alike.
 */
export function benchCliStartup(cliBin: string, env: NodeJS.ProcessEnv, runs = 40, warmup = 5): Ratio[] {
  const programs: Record<Program, string> = { bundle: cliBin, esm: join(dirname(cliBin), 'main.js'), raw: RAW_CLIENT };
  const baseline: number[] = [];
  const samples: number[][] = HOT.map(() => []);
  for (let i = 0; i < warmup + runs; i += 1) {
    const keep = i >= warmup;
    const base = timeProcess(['-e', ''], env);
    if (keep) baseline.push(base);
    HOT.forEach((hot, h) => {
      const ms = timeProcess([programs[hot.program], ...hot.args], env);
      if (keep) samples[h]!.push(ms);
    });
  }
  return HOT.map((hot, h) =>
    latencyRatio(
      { name: `${hot.name} (p50, whole process)`, subject: hot.label, baseline: "node -e ''" },
      percentile(samples[h]!, 50),
      percentile(baseline, 50),
      hot.target,
    ),
  );
}
