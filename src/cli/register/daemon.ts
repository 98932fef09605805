import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

export function registerDaemonCommands(program: Command): void {
  jsonCommand(program, 'version', 'print CLI and daemon versions (needs no token)').action(
    action(async (flags) => (await import('../commands/version.js')).versionCommand(flags)),
  );
  jsonCommand(program, 'ping', 'check that covenantd answers an authenticated request').action(
    action(async (flags) => (await import('../commands/daemon.js')).pingCommand(flags)),
  );
  jsonCommand(program, 'status', 'the daemon at a glance: version, uptime, agents, paused intents, audit head (operator)').action(
    action(async (flags) => (await import('../commands/daemon.js')).statusCommand(flags)),
  );
}
