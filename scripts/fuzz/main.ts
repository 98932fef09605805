// `npm run fuzz [-- --frames N] [--seed S] [--bound-ms B] [--json] [--strict] [--trace] [--samples K] [--keep]`:
// random and mutated frames before and after authentication on covenantd's socket, and hostile
// requests to every HTTP route. Counts daemon crashes, hangs, unaudited refusals and replies that
// are not the error shape; exit 1 on any crash, hang or unaudited refusal (--strict: also odd
// replies and token leaks). --inject-crash (self-test) SIGKILLs covenantd once, halfway.
import { parseArgs } from '../harness/args.js';
import { Rng } from '../harness/rng.js';
import { formatFuzzReport } from './report.js';
import { runFuzz } from './run.js';

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ['frames', 'seed', 'bound-ms', 'samples'], ['json', 'strict', 'keep', 'trace', 'inject-crash']);
  const seed = args.numbers.get('seed') ?? Rng.freshSeed();
  const json = args.flags.has('json');
  const frames = args.numbers.get('frames') ?? 2000;
  if (!json) console.log(`covenant fuzz — seed ${seed} (repeat with --seed ${seed}), ${frames} frames`);
  const report = await runFuzz(
    { frames, seed, boundMs: Math.max(1000, args.numbers.get('bound-ms') ?? 30_000), keep: args.flags.has('keep'), strict: args.flags.has('strict'), trace: args.flags.has('trace'), injectCrash: args.flags.has('inject-crash'), samples: args.numbers.get('samples') ?? 8 },
    (line) => {
      if (!json) console.log(line);
    },
  );
  console.log(json ? JSON.stringify(report) : formatFuzzReport(report));
  return report.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`fuzz: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
