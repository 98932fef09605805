import { Command, CommanderError, Option } from 'commander';
import { COVENANT_VERSION } from '../core/version.js';
import { redact } from '../core/redact.js';
import { registerAuditCommands } from './register/audit.js';
import { registerCapabilityCommands } from './register/capabilities.js';
import { registerDaemonCommands } from './register/daemon.js';
import { registerIntentCommands } from './register/intent.js';
import { registerAgentCommands } from './register/agents.js';
import { registerDoctorCommands } from './register/doctor.js';
import { registerPeerCommands } from './register/peers.js';
import { registerToolCommands } from './register/tools.js';
import { registerMcpCommands } from './register/mcp.js';
import { registerIgnoreCommands } from './register/ignore.js';
import { registerBudgetCommands, registerIntentsCommands } from './register/budget.js';
import { registerChainCommands, registerReceiptCommands } from './register/settlement.js';
import { registerMemoryCommands } from './register/memory.js';
import { registerVerifyCommands } from './register/verify.js';

export function buildProgram(): Command {
  const program = new Command('covenant')
    .description('Covenant CLI: talks to covenantd over $COVENANT_HOME/sock')
    .option('--home <dir>', 'Covenant home (default $COVENANT_HOME or ~/.covenant)')
    .option('--token-file <file>', 'act as the peer whose token is in this file (default: the operator token)')
    .version(COVENANT_VERSION, '-v, --version', 'print the CLI version (`covenant version` also asks the daemon)')
    // The flag older scripts used; same answer.
    .addOption(new Option('-V, --cli-version').hideHelp())
    .on('option:cli-version', () => {
      process.stdout.write(`${COVENANT_VERSION}\n`);
      throw new CommanderError(0, 'commander.version', COVENANT_VERSION);
    })
    .showHelpAfterError('(run with --help for usage)')
    // Usage errors quote the offending argument, which may be a pasted token.
    .configureOutput({ outputError: (text, write) => write(redact(text)) })
    .exitOverride();
  registerDaemonCommands(program);
  registerIntentCommands(program);
  registerAgentCommands(program);
  registerDoctorCommands(program);
  registerAuditCommands(program);
  registerCapabilityCommands(program);
  registerPeerCommands(program);
  registerToolCommands(program);
  registerMcpCommands(program);
  registerIgnoreCommands(program);
  registerBudgetCommands(program);
  registerIntentsCommands(program);
  registerReceiptCommands(program);
  registerChainCommands(program);
  registerMemoryCommands(program);
  registerVerifyCommands(program); // `verify`, and `repair` in the memory group
  return program;
}

/** Parses and runs; usage errors exit 2, help and --version exit 0. */
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
