import { Command, CommanderError, Option } from 'commander';
import { COVENANT_VERSION } from '../core/version.js';
import { redact } from '../core/redact.js';

type Register = (program: Command) => void;

/**
 * Every top-level command → the registrations that define it, imported only when that command
 * runs, so no command pays for another's modules. Adding a command group is one entry here
 * (entries sharing a registration share its loader). Help and unknown commands load them all,
 * in this order.
 */
const COMMAND_GROUPS: Record<string, () => Promise<Register[]>> = {
  version: async () => [(await import('./register/daemon.js')).registerDaemonCommands],
  ping: async () => [(await import('./register/daemon.js')).registerDaemonCommands],
  status: async () => [(await import('./register/daemon.js')).registerDaemonCommands],
  logs: async () => [(await import('./register/daemon.js')).registerDaemonCommands],
  intent: async () => [(await import('./register/intent.js')).registerIntentCommands],
  agents: async () => [(await import('./register/agents.js')).registerAgentCommands],
  doctor: async () => [(await import('./register/doctor.js')).registerDoctorCommands],
  audit: async () => [(await import('./register/audit.js')).registerAuditCommands],
  capabilities: async () => [(await import('./register/capabilities.js')).registerCapabilityCommands],
  bootstrap: async () => [(await import('./register/capabilities.js')).registerCapabilityCommands],
  peers: async () => [(await import('./register/peers.js')).registerPeerCommands],
  tools: async () => [(await import('./register/tools.js')).registerToolCommands],
  mcp: async () => [(await import('./register/mcp.js')).registerMcpCommands],
  ignore: async () => [(await import('./register/ignore.js')).registerIgnoreCommands],
  budget: async () => [(await import('./register/budget.js')).registerBudgetCommands],
  intents: async () => [(await import('./register/budget.js')).registerIntentsCommands],
  receipts: async () => [(await import('./register/settlement.js')).registerReceiptCommands],
  chain: async () => [(await import('./register/settlement.js')).registerChainCommands],
  // `memory repair` is registered with `verify`.
  memory: async () => [(await import('./register/memory.js')).registerMemoryCommands, (await import('./register/verify.js')).registerVerifyCommands],
  verify: async () => [(await import('./register/verify.js')).registerVerifyCommands],
  console: async () => [(await import('./register/console.js')).registerConsoleCommands],
  config: async () => [(await import('./register/config.js')).registerConfigCommands],
  a2a: async () => [(await import('./register/a2a.js')).registerA2aCommands],
  remotes: async () => [(await import('./register/remotes.js')).registerRemoteCommands],
};

const VALUE_OPTIONS = new Set(['--home', '--token-file']);

/** The first word that is not a global option or its value: the command being run, if any. */
function commandName(argv: string[]): string | undefined {
  const args = argv.slice(2);
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (VALUE_OPTIONS.has(arg)) i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/** The registrations `argv` needs: its command's group, or all of them (help, an unknown command). */
async function registrationsFor(argv: string[]): Promise<Register[]> {
  const name = commandName(argv);
  const loaders = name !== undefined && Object.hasOwn(COMMAND_GROUPS, name) ? [COMMAND_GROUPS[name]!] : Object.values(COMMAND_GROUPS);
  const registers = (await Promise.all(loaders.map((load) => load()))).flat();
  return [...new Set(registers)];
}

/** The `covenant` program with the given command groups registered. */
export function buildProgram(registers: Register[]): Command {
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
  for (const register of registers) register(program);
  return program;
}

/** Parses and runs; usage errors exit 2, help and --version exit 0. */
export async function runProgram(argv: string[]): Promise<void> {
  try {
    await buildProgram(await registrationsFor(argv)).parseAsync(argv, { from: 'node' });
  } catch (error) {
    if (error instanceof CommanderError) {
      process.exitCode = error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
      return;
    }
    throw error;
  }
}
