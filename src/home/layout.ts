import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface HomePaths {
  home: string;
  db: string;
  sock: string;
  lock: string;
  lockName: string;
  identityDir: string;
  localKey: string;
  peersDir: string;
  operatorToken: string;
  logsDir: string;
  daemonLog: string;
  agentsDir: string;
  runtimeDir: string;
  config: string;
  ignoreFile: string;
  /** Space given up when the disk fills, so reads and refusals can still be audited. */
  storageReserve: string;
  /** Bearer tokens for remote daemons (`covenant remotes add`), one 0600 file each. */
  remotesDir: string;
}

/** `--home` wins, then `$COVENANT_HOME`, then `~/.covenant`. */
export function resolveHome(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return resolve(explicit);
  if (env.COVENANT_HOME) return resolve(env.COVENANT_HOME);
  return join(homedir(), '.covenant');
}

export function homePaths(home: string): HomePaths {
  return {
    home,
    db: join(home, 'covenant.db'),
    sock: join(home, 'sock'),
    lock: join(home, 'covenantd.pid'),
    lockName: join(home, 'covenantd.lock'),
    identityDir: join(home, 'identity'),
    localKey: join(home, 'identity', 'local.key'),
    peersDir: join(home, 'peers'),
    operatorToken: join(home, 'peers', 'operator.token'),
    logsDir: join(home, 'logs'),
    daemonLog: join(home, 'logs', 'covenantd.log'),
    agentsDir: join(home, 'agents'),
    runtimeDir: join(home, 'runtime'),
    config: join(home, 'config.toml'),
    ignoreFile: join(home, '.covenantignore'),
    storageReserve: join(home, 'storage.reserve'),
    remotesDir: join(home, 'remotes'),
  };
}
