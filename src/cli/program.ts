import { Command, CommanderError } from 'commander';
import { COVENANT_VERSION } from '../core/version.js';
import { registerAuditCommands } from './register/audit.js';
import { registerCapabilityCommands } from './register/capabilities.js';
import { registerDaemonCommands } from './register/daemon.js';
import { registerIntentCommands } from './register/intent.js';
import { registerPeerCommands } from './register/peers.js';

export function buildProgram(): Command {
  const program = new Command('covenant')
    .description('Covenant CLI: talks to covenantd over $COVENANT_HOME/sock')
    .option('--home <dir>', 'Covenant home (default $COVENANT_HOME or ~/.covenant)')
    .option('--token-file <file>', 'act as the peer whose token is in this file (default: the operator token)')
    .version(COVENANT_VERSION, '-V, --cli-version', 'print the CLI version only')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride();
  registerDaemonCommands(program);
  registerIntentCommands(program);
  registerAuditCommands(program);
  registerCapabilityCommands(program);
  registerPeerCommands(program);
  return program;
}

/** Parses and runs; usage errors exit 2, help and --cli-version exit 0. */
export async function runProgram(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv, { from: 'node' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
      return;
    }
    throw error;
  }
}
