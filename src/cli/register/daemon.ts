import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';
import { wholeNumber } from '../parsers.js';

export function registerDaemonCommands(program: Command): void {
  jsonCommand(program, 'version', 'print CLI and daemon versions (needs no token)').action(
    action(async (flags) => (await import('../commands/version.js')).versionCommand(flags)),
  );
  jsonCommand(program, 'ping', 'check that covenantd answers an authenticated request').action(
    action(async (flags) => (await import('../commands/ping.js')).pingCommand(flags)),
  );
  jsonCommand(program, 'status', 'the daemon at a glance: version, uptime, agents, paused intents, audit head (operator)').action(
    action(async (flags) => (await import('../commands/daemon.js')).statusCommand(flags)),
  );
  const logs = action(async (flags, options: { limit: number; follow?: boolean }) => (await import('../commands/logs.js')).logsCommand(flags, options));
  jsonCommand(program, 'logs', "the daemon's log ($COVENANT_HOME/logs/covenantd.log), read from the home (no daemon needed)")
    .option('-n, --limit <n>', 'how many of the last lines (1-10000)', wholeNumber(1, 10_000), 50)
    .option('-f, --follow', 'then print lines as covenantd writes them, until Ctrl-C (cannot be combined with --json)')
    .action(async (...args: unknown[]) => {
      const command = args.at(-1) as Command;
      const options = command.opts<{ follow?: boolean; json?: boolean }>();
      if (options.follow && options.json) {
        command.error('error: --follow prints lines as they come and cannot be combined with --json', { exitCode: 2, code: 'covenant.usage' });
      }
      await logs(...args);
    });
}
