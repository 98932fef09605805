import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

export function registerConsoleCommands(program: Command): void {
  jsonCommand(program, 'console', 'print the operator console URL with a one-time login code (single use, 2 minutes)').action(
    action(async (flags) => (await import('../commands/console.js')).consoleCommand(flags)),
  );
}
