import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

export function registerAuditCommands(program: Command): void {
  const audit = program.command('audit').description('the tamper-evident audit log');
  jsonCommand(audit, 'verify', 're-derive the hash chain and check signed checkpoints (exit 1 when invalid)').action(
    action(async (flags) => (await import('../commands/audit.js')).auditVerifyCommand(flags)),
  );
  jsonCommand(audit, 'checkpoint', 'sign a checkpoint of the newest audit row now').action(
    action(async (flags) => (await import('../commands/audit.js')).auditCheckpointCommand(flags)),
  );
}
