#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { COVENANT_VERSION } from '../core/version.js';
import { present, type CommandOutcome, type GlobalFlags } from './output.js';

// Command modules are imported lazily: each command loads only what it uses.
type Json = { json?: boolean };

function globals(command: Command): GlobalFlags {
  return command.optsWithGlobals<GlobalFlags>();
}

function action<A extends unknown[]>(run: (flags: GlobalFlags, ...args: A) => Promise<CommandOutcome>) {
  return async (...args: unknown[]) => {
    const command = args.at(-1) as Command;
    const options = command.opts<Json>();
    await present(options.json, () => run(globals(command), ...(args.slice(0, -1) as A)));
  };
}

export function buildProgram(): Command {
  const program = new Command('covenant')
    .description('Covenant CLI: talks to covenantd over $COVENANT_HOME/sock')
    .option('--home <dir>', 'Covenant home (default $COVENANT_HOME or ~/.covenant)')
    .option('--token-file <file>', 'act as the peer whose token is in this file (default: the operator token)')
    .version(COVENANT_VERSION, '-V, --cli-version', 'print the CLI version only')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();

  program
    .command('version')
    .description('print CLI and daemon versions (needs no token)')
    .option('--json', 'print one JSON object')
    .action(action(async (flags) => (await import('./commands/version.js')).versionCommand(flags)));

  program
    .command('ping')
    .description('check that covenantd answers an authenticated request')
    .option('--json', 'print one JSON object')
    .action(action(async (flags) => (await import('./commands/daemon.js')).pingCommand(flags)));

  program
    .command('intent')
    .description('submit an intent; the daemon routes it to an agent and answers')
    .argument('<text...>', 'what you want done')
    .option('--agent <id>', 'skip routing and send the intent to this agent')
    .option('--json', 'print one JSON object')
    .action(
      action(async (flags, words: string[], options: { agent?: string }) =>
        (await import('./commands/intent.js')).intentCommand(flags, words, options),
      ),
    );

  const audit = program.command('audit').description('the tamper-evident audit log');
  audit
    .command('verify')
    .description('re-derive the hash chain and check signed checkpoints (exit 1 when invalid)')
    .option('--json', 'print one JSON object')
    .action(action(async (flags) => (await import('./commands/audit.js')).auditVerifyCommand(flags)));
  audit
    .command('checkpoint')
    .description('sign a checkpoint of the newest audit row now')
    .option('--json', 'print one JSON object')
    .action(action(async (flags) => (await import('./commands/audit.js')).auditCheckpointCommand(flags)));

  return program;
}

async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'node' });
  } catch (error) {
    if (error instanceof CommanderError) {
      const informational = ['commander.helpDisplayed', 'commander.version'].includes(error.code);
      process.exitCode = informational ? 0 : 2;
      return;
    }
    throw error;
  }
}

await main(process.argv);
