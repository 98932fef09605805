import type { CommandOutcome, GlobalFlags } from '../output.js';
import type { MemoryRepairFlags, VerifyFlags } from '../register/verify.js';
import { callDaemon } from '../session.js';

interface CheckView {
  name: string;
  passed: boolean;
  message: string;
}

interface DriftView {
  kind: string;
  id?: string;
  message: string;
  repair: { action: string; command: string; safe: boolean };
}

export async function verifyCommand(flags: GlobalFlags, options: VerifyFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'verify', ...(options.window === undefined ? {} : { window: options.window }) });
  const { id: _id, ...json } = reply;
  const checks = reply.checks as CheckView[];
  const drift = reply.drift as DriftView[];
  const total = Number(reply.orphans_total);
  const human = checks.map((c) => `${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`);
  for (const d of drift) {
    human.push(`drift ${d.kind}${d.id ? ` ${d.id}` : ''}: ${d.message}`);
    human.push(`  repair (${d.repair.safe ? 'safe' : 'review first'}): ${d.repair.command}`);
  }
  human.push(total === 0 ? `clean: no drift in the newest ${String(reply.window)} rows of each store` : `${total} drift item(s)`);
  return { json: json, human, exitCode: total > 0 ? 1 : 0 };
}

interface ChangeView {
  op: string;
  table: string;
  id: string;
  detail: string;
}

export async function memoryRepairCommand(flags: GlobalFlags, act: string, id: string, options: MemoryRepairFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, { kind: 'memory_repair', action: act, target_id: id, reason: options.reason, apply: options.apply === true });
  // The answer's `id` is the repaired id (the CLI sends no request id to echo).
  const json = reply;
  const changes = reply.changes as ChangeView[];
  const head =
    changes.length === 0
      ? `${act} ${id}: nothing to change`
      : options.apply
        ? `${act} ${id}: applied ${changes.length} change(s)`
        : `${act} ${id}: dry run, ${changes.length} change(s) would be made (add --apply to make them)`;
  return { json, human: [head, ...changes.map((c) => `  ${c.op} ${c.table} ${c.id}: ${c.detail}`)] };
}
