import type { Command } from 'commander';
import { present, type CommandOutcome, type GlobalFlags } from './output.js';

/**
 * Wraps a command implementation: reads global flags and `--json`, prints the outcome, sets
 * the exit code. Implementations are passed as lazy imports so each command loads only what
 * it uses.
 */
export function action<A extends unknown[]>(run: (flags: GlobalFlags, ...args: A) => Promise<CommandOutcome>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.opts<{ json?: boolean }>();
    await present(options.json, () => run(command.optsWithGlobals<GlobalFlags>(), ...(args.slice(0, -1) as A)));
  };
}

/** A sub-command with the `--json` flag every printing command has. */
export function jsonCommand(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description).option('--json', 'print one JSON object');
}
