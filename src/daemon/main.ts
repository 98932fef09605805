#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { COVENANT_VERSION, CovenantError } from '../core/index.js';
import { resolveHome } from '../home/index.js';
import { gatewayOptionsFromEnv } from '../gateway/index.js';
import { startDaemon } from './daemon.js';
import { runRecoverOperator } from './recover.js';

const EXIT_CONFIG_INVALID = 78;

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
  // Listen for signals before starting: one that arrives during start-up stops the daemon as
  // soon as it is up, through the same complete shutdown.
  let signalled: NodeJS.Signals | null = null;
  let wake: () => void = () => undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    signalled = signal;
    wake();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const daemon = await startDaemon({ home, logToStderr: true, humanLogs: process.stderr.isTTY === true, http, shutdownGraceMs: shutdownGraceFromEnv(process.env), groupCommit: groupCommitFromEnv(process.env) });
  // SIGHUP re-reads config.toml; an invalid file is refused and the config in use kept (docs/configuration.md).
  const onHangup = () => void daemon.reload();
  process.on('SIGHUP', onHangup);
  if (signalled === null) await new Promise<void>((resolve) => (wake = resolve));
  process.off('SIGHUP', onHangup);
  await daemon.stop(signalled ?? 'SIGTERM');
  return 0;
}

/** `COVENANT_SHUTDOWN_GRACE_MS`: how long requests in flight may run on after SIGTERM (default 10 s). */
function shutdownGraceFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.COVENANT_SHUTDOWN_GRACE_MS?.trim();
  if (!raw) return undefined;
  if (!/^\d{1,7}$/.test(raw)) {
    throw new CovenantError('E_BAD_REQUEST', `COVENANT_SHUTDOWN_GRACE_MS must be a number of milliseconds (0 to 9999999), not ${JSON.stringify(raw.slice(0, 40))}`);
  }
  return Number(raw);
}

/** `COVENANT_GROUP_COMMIT=off`: every transaction commits by itself (the bench's baseline; default on). */
function groupCommitFromEnv(env: NodeJS.ProcessEnv): boolean {
  const raw = env.COVENANT_GROUP_COMMIT?.trim();
  if (!raw || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new CovenantError('E_BAD_REQUEST', `COVENANT_GROUP_COMMIT must be on or off, not ${JSON.stringify(raw.slice(0, 40))}`);
}

main(process.argv).then(
  (code) => {
    // Shutdown has released everything it owns; a handle some library left open must not keep
    // a daemon that has already removed its socket and pid file alive.
    process.exit(code);
  },
  (error: unknown) => {
    if (error instanceof CovenantError) {
      process.stderr.write(`covenantd: ${error.message} (${error.code})\n`);
    } else {
      process.stderr.write(`covenantd: ${error instanceof Error ? error.message : String(error)}\n`);
    }
    // 78 (EX_CONFIG): an invalid config.toml; systemd's RestartPreventExitStatus=78 stops a restart loop on it.
    process.exitCode = error instanceof CovenantError && error.code === 'E_CONFIG_INVALID' ? EXIT_CONFIG_INVALID : 1;
  },
);
