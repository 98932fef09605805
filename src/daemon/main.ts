#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { COVENANT_VERSION, CovenantError } from '../core/index.js';
import { resolveHome } from '../home/index.js';
import { gatewayOptionsFromEnv } from '../gateway/index.js';
import { startDaemon } from './daemon.js';
import { runRecoverOperator } from './recover.js';

interface DaemonFlags {
  home?: string;
  http: boolean;
  recoverOperator?: boolean;
}

async function main(argv: string[]): Promise<number> {
  const program = new Command('covenantd')
    .description('Covenant daemon: authenticates callers, checks capabilities, runs agents, keeps the audit log')
    .option('--home <dir>', 'state directory (default $COVENANT_HOME or ~/.covenant)')
    .option('--no-http', 'do not start the HTTP gateway')
    .option('--recover-operator', 'offline: mint a fresh operator token after a forced self-revoke, then exit')
    .version(COVENANT_VERSION, '--version')
    .helpOption('--help')
    .allowExcessArguments(false)
    .exitOverride();
  try {
    program.parse(argv, { from: 'node' });
  } catch (error) {
    if (error instanceof CommanderError) return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? 0 : 2;
    throw error;
  }
  const flags = program.opts<DaemonFlags>();
  const home = resolveHome(flags.home);
  if (flags.recoverOperator) return runRecoverOperator(home);

  const http = flags.http ? gatewayOptionsFromEnv(process.env) : false;
  const daemon = await startDaemon({ home, logToStderr: true, http });
  await new Promise<void>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      daemon.stop(signal).then(resolve, resolve);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return 0;
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof CovenantError) {
      process.stderr.write(`covenantd: ${error.message} (${error.code})\n`);
    } else {
      process.stderr.write(`covenantd: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    process.exitCode = 1;
  },
);
