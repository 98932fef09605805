import type { TortureReport } from './run.js';

export function formatTortureReport(r: TortureReport): string {
  const lines = [`seed ${r.seed}: ${r.cycles_completed}/${r.cycles_requested} cycles, ${r.workers} workers, ${r.requests_sent} requests (${r.requests_unanswered} cut off by a kill or rotation)`];
  lines.push('write kind          acknowledged  lost');
  for (const [kind, counts] of Object.entries(r.writes)) lines.push(`${kind.padEnd(20)}${String(counts.acknowledged).padStart(12)}  ${counts.lost}`);
  lines.push(`${'total'.padEnd(20)}${String(r.acknowledged_total).padStart(12)}  ${r.lost_total}`);
  lines.push(`audit verify: ${r.audit_verify.clean}/${r.audit_verify.runs} clean; covenant verify: ${r.covenant_verify.clean}/${r.covenant_verify.runs} clean`);
  lines.push(
    `operator token anomalies ${r.operator_token_anomalies}, restart failures ${r.restart_failures}, unexpected exits ${r.unexpected_exits}, ` +
      `stalled cycles ${r.stalled_cycles}, orphan agent processes ${r.orphan_processes}`,
  );
  if (r.final_shutdown) lines.push(`final SIGTERM: exit ${r.final_shutdown.code ?? r.final_shutdown.signal}${r.final_shutdown.clean ? '' : ' (not clean)'}`);
  for (const problem of r.problems) lines.push(`problem: ${problem}`);
  lines.push(r.ok ? 'result: OK' : 'result: FAILED');
  return lines.join('\n');
}
