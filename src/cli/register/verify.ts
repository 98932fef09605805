import { Argument, InvalidArgumentError, type Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { MAX_REPAIR_REASON, MAX_VERIFY_WINDOW, REPAIR_ACTIONS, type RepairAction } from '../../protocol/constants.js';
import { wholeNumber } from '../parsers.js';

const load = () => import('../commands/verify.js');


export interface VerifyFlags {
  window?: number;
}

export interface MemoryRepairFlags {
  reason: string;
  apply?: boolean;
}

function nonEmptyReason(value: string): string {
  if (value.trim().length === 0) throw new InvalidArgumentError('a repair needs a non-empty reason');
  if (value.length > MAX_REPAIR_REASON) throw new InvalidArgumentError(`a reason is at most ${MAX_REPAIR_REASON} characters`);
  return value;
}

/** `covenant verify [--window N]` and `covenant memory repair ...`. */
export function registerVerifyCommands(program: Command): void {
  jsonCommand(program, 'verify', 'read-only drift checks across memory, receipts, capabilities and the audit log (operator; exit 1 on drift)')
    .option('--window <n>', `how many of the newest rows of each store to check (1-${MAX_VERIFY_WINDOW}, default 100)`, wholeNumber(1, MAX_VERIFY_WINDOW))
    .addHelpText(
      'after',
      `
Checks: memory_audit, memory_parents, capability_audit, memory_receipts, audit_chain,
store_integrity. Each fault is one drift item with a typed repair {action, command, safe}:
\`command\` is the exact CLI line that fixes it (for audit_chain and store_integrity, where no
command can, the read-only command that shows the details). Exit 1 when orphans_total > 0.
`,
    )
    .action(action(async (flags, options: VerifyFlags) => (await load()).verifyCommand(flags, options)));
  registerMemoryRepairCommand(memoryGroup(program));
}

/** The `memory` command group: found when src/cli/register/memory.ts registered it first, else created (it finds this one). */
function memoryGroup(program: Command): Command {
  return program.commands.find((c) => c.name() === 'memory') ?? program.command('memory').description('memory records: write, read, search, purge, retention');
}

/** `covenant memory repair <action> <id> --reason T [--apply] [--json]`. */
export function registerMemoryRepairCommand(memory: Command): void {
  jsonCommand(memory, 'repair', 'repair one drift item `covenant verify` reported (dry run unless --apply; needs memory.repair.dry_run / memory.repair.apply)')
    .addArgument(new Argument('<action>', 'what to do').choices(REPAIR_ACTIONS))
    .argument('<id>', 'the drift item id or a unique prefix of it: a memory record (delete: also a memory receipt; backfill-audit: also a capability)')
    .requiredOption('--reason <text>', 'why (kept in the audit log)', nonEmptyReason)
    .option('--apply', 'make the change (default: dry run, which only lists the changes)')
    .addHelpText(
      'after',
      `
detach-parent <record>      set the record's parent to none
delete <record|receipt>     delete the record (children detached, memory receipts marked); on a
                            record that is already gone, record its loss the same way; on a
                            memory receipt, mark that receipt
backfill-receipt <record>   leave exactly one memory receipt (payer = owner, settled at creation),
                            writing one (0 credits) when none is valid; marks the others
backfill-audit <record|cap> write the missing intent_dispatched / capability_granted row (backfilled)
Every run writes an audit row: memory_repair_planned (dry run) or memory_repair_applied.
`,
    )
    .action(
      action(async (flags, act: RepairAction, id: string, options: MemoryRepairFlags) => (await load()).memoryRepairCommand(flags, act, id, options)),
    );
}
