import type { Command } from 'commander';
import { action, jsonCommand } from '../action.js';

const load = () => import('../commands/config.js');

export interface ConfigFlags {
  file?: string;
}

/** `covenant config check|show`: offline, they read config.toml and never need a daemon. */
export function registerConfigCommands(program: Command): void {
  const config = program.command('config').description('config.toml: check it, show the effective values (offline; docs/configuration.md)');
  jsonCommand(config, 'check', 'validate config.toml strictly: every unknown or bad key with its line (exit 1 when invalid)')
    .option('--file <path>', 'the file to check (default: config.toml of the home)')
    .action(action(async (flags, options: ConfigFlags) => (await load()).configCheckCommand(flags, options)));
  jsonCommand(config, 'show', 'print the effective configuration: the file with every default, secrets cut to a short prefix')
    .option('--file <path>', 'the file to read (default: config.toml of the home)')
    .action(action(async (flags, options: ConfigFlags) => (await load()).configShowCommand(flags, options)));
}
