import type { CommandOutcome, GlobalFlags } from '../output.js';
import { callDaemon } from '../session.js';

interface IntegrityReport {
  events: number;
  checkpoints: number;
  valid: boolean;
  root_hash_hex: string;
  failures: Array<{ seq: number; reason: string }>;
}

export async function auditVerifyCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'audit_verify' });
  const report = reply.report as IntegrityReport;
  const human = report.valid
    ? [`audit chain valid: ${report.events} events, ${report.checkpoints} checkpoints, root ${report.root_hash_hex}`]
    : [
        `audit chain INVALID: ${report.failures.length} failure(s) in ${report.events} events`,
        ...report.failures.map((f) => `  seq ${f.seq}: ${f.reason}`),
      ];
  return { json: { kind: 'audit_integrity', report }, human, exitCode: report.valid ? 0 : 1 };
}

export async function auditCheckpointCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'audit_checkpoint' });
  const checkpoint = reply.checkpoint as { seq: number; chain_hash: string } | null;
  return {
    json: { kind: 'audit_checkpoint', checkpoint },
    human: checkpoint ? `checkpoint signed at seq ${checkpoint.seq} (${checkpoint.chain_hash})` : 'audit log is empty; nothing to sign',
  };
}
