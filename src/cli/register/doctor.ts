import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

export function registerDoctorCommands(program: Command): void {
  jsonCommand(program, 'doctor', 'check host readiness: daemon, home modes, schema, agents, runsc and rootfs, model endpoint (exit 1 on a failed check)').action(
    action(async (flags) => (await import('../commands/doctor.js')).doctorCommand(flags)),
  );
}
