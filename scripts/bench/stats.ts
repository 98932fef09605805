export function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
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

export function formatRatio(r: Ratio): string {
  return [
    `${r.name}`,
    `  ${r.subject}: ${r.subjectValue.toFixed(3)} ${r.unit}`,
    `  ${r.baseline}: ${r.baselineValue.toFixed(3)} ${r.unit}`,
    `  ratio ${r.ratio.toFixed(2)} (target ${r.target}) ${r.met ? 'MET' : 'NOT MET'}`,
  ].join('\n');
}
