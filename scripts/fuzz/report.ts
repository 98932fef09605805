import type { FuzzReport } from './run.js';

export function formatFuzzReport(r: FuzzReport): string {
  const f = r.frames;
  const lines = [
    `seed ${r.seed}: ${r.frames_sent}/${r.frames_requested} frames sent (socket before auth ${f.ipc_pre_auth}, as a guest ${f.ipc_guest}, as the operator ${f.ipc_operator}; http ${f.http})`,
    `replies ${r.replies}, refusals ${r.refusals}, audited refusals ${r.refusal_rows}`,
    `daemon crashes        ${r.daemon_crashes}`,
    `hangs                 ${r.hangs} (daemon unresponsive afterwards: ${r.unresponsive})`,
    `unaudited refusals    ${r.unaudited_refusals}`,
    `non-error-shape       ${r.non_error_shape_replies}`,
    `internal errors       ${r.internal_errors}`,
    `closed without reply  ${r.closed_without_reply}`,
    `token leaks           ${r.token_leaks}`,
    `restarts              ${r.restarts}`,
  ];
  if (r.aborted) lines.push(`aborted: ${r.aborted}`);
  for (const [which, samples] of Object.entries(r.samples)) {
    for (const s of samples) lines.push(`  ${which}: #${s.n} ${s.lane} ${s.category} ${JSON.stringify(s.kind)} (${s.bytes} bytes): ${s.detail}`);
  }
  lines.push(r.ok ? 'result: OK' : 'result: FAILED');
  return lines.join('\n');
}
