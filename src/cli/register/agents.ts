import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

export function registerAgentCommands(program: Command): void {
  const agents = program.command('agents').description('install, list and remove agent packages (install/remove: operator only)');
  jsonCommand(agents, 'install', 'validate an agent package (agent.toml) and install a copy into $COVENANT_HOME/agents/<id>/')
    .argument('<dir>', 'the package directory (holds agent.toml)')
    .addHelpText(
      'after',
      `
The daemon validates the manifest (errors name the field), copies the package (symlinks only
to files inside it), records it and makes it routable without a restart. Installing an id that
is already installed replaces it.`,
    )
    .action(action(async (flags, dir: string) => (await import('../commands/agents.js')).agentsInstallCommand(flags, dir)));
  jsonCommand(agents, 'list', 'the installed agents').action(
    action(async (flags) => (await import('../commands/agents.js')).agentsListCommand(flags)),
  );
  jsonCommand(agents, 'remove', 'uninstall an agent (its package copy and warm process)')
    .argument('<id>', 'agent id')
    .action(action(async (flags, id: string) => (await import('../commands/agents.js')).agentsRemoveCommand(flags, id)));
}
