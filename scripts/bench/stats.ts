export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Milliseconds since `start`, a `process.hrtime.bigint()` reading. */
export function msSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

/** `count` calls of `run`, one after another; the time of each, in ms. */
export async function timeEach(run: () => Promise<unknown>, count: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = process.hrtime.bigint();
    await run();
    samples.push(msSince(start));
  }
  return samples;
}

/**
 * Times two async operations in alternating batches, so drift during the run hits both alike:
 * `warmup` untimed calls of each, then `rounds` rounds of `count / rounds` timed calls of each.
 */
export async function alternateBatches(
  a: () => Promise<unknown>,
  b: () => Promise<unknown>,
  count: number,
  warmup: number,
  rounds = 10,
): Promise<[number[], number[]]> {
  const [aSamples, bSamples] = await alternateAll([a, b], count, warmup, rounds);
  return [aSamples!, bSamples!];
}

/**
 * `alternateBatches` for any number of operations, each in turn in every round, in `turnOrder`
 * (none always goes first or follows the same one); their samples in order.
 */
export async function alternateAll(runs: Array<() => Promise<unknown>>, count: number, warmup: number, rounds = 10): Promise<number[][]> {
  for (const run of runs) await timeEach(run, warmup);
  const samples = runs.map((): number[] => []);
  for (let round = 0; round < rounds; round += 1) {
    for (const i of turnOrder(runs.length, round)) samples[i]!.push(...(await timeEach(runs[i]!, count / rounds)));
  }
  return samples;
}

/**
 * Two operations that each time themselves (ms), in turn (a, b, a, b, …): `warmup` untimed
 * pairs, then `runs` measured ones; the p50 of each.
 */
export function p50Pair(runs: number, warmup: number, a: () => number, b: () => number): [number, number] {
  for (let i = 0; i < warmup; i += 1) {
    a();
    b();
  }
  const aSamples: number[] = [];
  const bSamples: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    aSamples.push(a());
    bSamples.push(b());
  }
  return [percentile(aSamples, 50), percentile(bSamples, 50)];
}

export interface Ratio {
  name: string;
  subject: string;
  baseline: string;
  subjectValue: number;
  baselineValue: number;
  unit: string;
  /** subject / baseline for latency; baseline / subject is left to the caller for throughput. */
  ratio: number;
  target: string;
  met: boolean;
}

function figure(value: number): string {
  return value >= 100 ? value.toFixed(0) : value >= 1 ? value.toFixed(2) : value.toFixed(3);
}

/** One row per ratio: name, subject and baseline values, ratio, target, verdict; then the legend. */
export function formatTable(ratios: Ratio[]): string {
  const rows = ratios.map((r, i) => [
    String(i + 1),
    r.name,
    `${figure(r.subjectValue)} ${r.unit}`,
    `${figure(r.baselineValue)} ${r.unit}`,
    r.ratio.toFixed(2),
    r.target,
    r.met ? 'MET' : 'NOT MET',
  ]);
  const header = ['#', 'measure', 'subject', 'baseline', 'ratio', 'target', ''];
  const widths = header.map((h, col) => Math.max(h.length, ...rows.map((row) => row[col]!.length)));
  const line = (cells: string[]) => cells.map((cell, col) => (col >= 2 && col <= 4 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join('  ').trimEnd();
  const legend = ratios.map((r, i) => `  ${i + 1}. subject: ${r.subject}; baseline: ${r.baseline}`);
  return [line(header), ...rows.map(line), '', ...legend].join('\n');
}

type Labels = Pick<Ratio, 'name' | 'subject' | 'baseline'>;

/** subject / baseline; a number `target` is met on its side of the ratio, a string is a reported row (always met). */
function ratioRow(labels: Labels, subjectValue: number, baselineValue: number, target: number | string, unit: string, higherIsBetter: boolean): Ratio {
  const ratio = subjectValue / baselineValue;
  const bounded = typeof target === 'number';
  return {
    ...labels,
    subjectValue,
    baselineValue,
    unit,
    ratio,
    target: bounded ? `${higherIsBetter ? '>=' : '<='} ${target}` : target,
    met: bounded ? (higherIsBetter ? ratio >= target : ratio <= target) : true,
  };
}

/**
 * A cost (ms unless `unit` says otherwise): ratio = subject / baseline. `target`: the largest
 * ratio that meets it, or the note of a ratio that is only reported (always met).
 */
export function latencyRatio(labels: Labels, subjectValue: number, baselineValue: number, target: number | string, unit = 'ms'): Ratio {
  return ratioRow(labels, subjectValue, baselineValue, target, unit, false);
}

/**
 * A rate (requests, records or tokens a second): ratio = subject / baseline, met when at least
 * `target` (a number), or a reported row (a string).
 */
export function throughputRatio(labels: Labels, subjectValue: number, baselineValue: number, target: number | string, unit = 'req/s'): Ratio {
  return ratioRow(labels, subjectValue, baselineValue, target, unit, true);
}

/**
 * The order in which `count` sides take their turn in round `round`: each round starts one side
 * later, so no side always measures first or always after the same other one.
 */
export function turnOrder(count: number, round: number): number[] {
  return Array.from({ length: count }, (_, i) => (round + i) % count);
}
