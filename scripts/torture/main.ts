// `npm run torture [-- --cycles N] [--seed S] [--workers W] [--json] [--keep]`: SIGKILL cycles of
// the real covenantd under concurrent mixed load; every acknowledged write must survive, and
// `covenant audit verify` and `covenant verify` must be clean after every restart. Exit 1
// otherwise. --inject-loss (self-test) records one write that was never made.
import { parseArgs } from '../harness/args.js';
import { Rng } from '../harness/rng.js';
import { formatTortureReport } from './report.js';
import { runTorture } from './run.js';

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2), ['cycles', 'seed', 'workers', 'min-acks', 'max-acks'], ['json', 'keep', 'inject-loss']);
  const seed = args.numbers.get('seed') ?? Rng.freshSeed();
  const json = args.flags.has('json');
  const cycles = args.numbers.get('cycles') ?? 5;
  const minAcks = args.numbers.get('min-acks') ?? 5;
  const maxAcks = Math.max(minAcks, args.numbers.get('max-acks') ?? 60);
  if (!json) console.log(`covenant torture — seed ${seed} (repeat with --seed ${seed}), ${cycles} cycle(s)`);
  const report = await runTorture(
    { cycles, seed, workers: Math.max(1, args.numbers.get('workers') ?? 6), minAcks: Math.max(1, minAcks), maxAcks, keep: args.flags.has('keep'), injectLoss: args.flags.has('inject-loss') },
    (line) => {
      if (!json) console.log(line);
    },
  );
  console.log(json ? JSON.stringify(report) : formatTortureReport(report));
  return report.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`torture: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
