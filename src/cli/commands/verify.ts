import type { RepairAction } from '../../protocol/constants.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import type { MemoryRepairFlags, VerifyFlags } from '../register/verify.js';
import { callDaemon } from '../session.js';

export async function verifyCommand(flags: GlobalFlags, options: VerifyFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'verify', options.window === undefined ? {} : { window: options.window });
  const { checks, drift, orphans_total: total } = reply;
  const human = checks.map((c) => `${c.passed ? 'ok  ' : 'FAIL'} ${c.name}: ${c.message}`);
  for (const d of drift) {
    human.push(`drift ${d.kind}${d.id ? ` ${d.id}` : ''}: ${d.message}`);
    human.push(`  repair (${d.repair.safe ? 'safe' : 'review first'}): ${d.repair.command}`);
  }
  human.push(total === 0 ? `clean: no drift in the newest ${reply.window} rows of each store` : `${total} drift item(s)`);
  return { json: reply, human, exitCode: total > 0 ? 1 : 0 };
}

export async function memoryRepairCommand(flags: GlobalFlags, act: RepairAction, id: string, options: MemoryRepairFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'memory_repair', { action: act, target_id: id, reason: options.reason, apply: options.apply === true });
  const { changes } = reply;
  const head =
    changes.length === 0
      ? `${act} ${id}: nothing to change`
      : options.apply
        ? `${act} ${id}: applied ${changes.length} change(s)`
        : `${act} ${id}: dry run, ${changes.length} change(s) would be made (add --apply to make them)`;
  return { json: reply, human: [head, ...changes.map((c) => `  ${c.op} ${c.table} ${c.id}: ${c.detail}`)] };
}
