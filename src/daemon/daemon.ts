import { existsSync, unlinkSync } from 'node:fs';
import { AuditLog } from '../audit/index.js';
import { COVENANT_VERSION, systemClock, type Clock } from '../core/index.js';
import { acquireInstanceLock, ensurePrivateDir, homePaths, type HomePaths } from '../home/index.js';
import { loadOrCreateDaemonIdentity } from '../identity/index.js';
import { IntentService } from '../intent/index.js';
import { CapabilityService, IdentityKeyStore } from '../capabilities/index.js';
import { ensureOperatorToken, PeerQueries, PeerRegistry } from '../peers/index.js';
import { startGateway, type RunningGateway } from '../gateway/index.js';
import { migrate, openDatabase } from '../store/index.js';
import { createAuthorizer } from './authorization.js';
import type { DaemonContext } from './context.js';
import { TokenDisconnector } from './disconnector.js';
import { IpcServer } from './ipc-server.js';
import { createDaemonLogger } from './logger.js';

export interface DaemonOptions {
  home: string;
  clock?: Clock;
  /** Log to stderr as well as the log file (the binary does; in-process tests do not). */
  logToStderr?: boolean;
  shutdownGraceMs?: number;
  /** The HTTP gateway (SPEC 4); absent or false: none (in-process tests, `--no-http`). */
  http?: { host: string; port: number; origins: string[] } | false;
}

export interface RunningDaemon {
  ctx: DaemonContext;
  paths: HomePaths;
  stop(reason?: string): Promise<void>;
}

/** Brings up a daemon on a home: lock, database, identity, operator token, socket. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  process.umask(0o077); // every file the daemon creates is private to its user
  const paths = homePaths(options.home);
  ensurePrivateDir(paths.home);
  const lock = acquireInstanceLock(paths.lock, paths.home);
  const cleanups: Array<() => void> = [() => lock.release()];
  try {
    ensurePrivateDir(paths.logsDir);
    const logger = createDaemonLogger(paths.daemonLog, { stderr: options.logToStderr ?? false });
    cleanups.push(() => logger.close());
    const clock = options.clock ?? systemClock;
    const identity = loadOrCreateDaemonIdentity(paths);
    const db = openDatabase(paths.db);
    cleanups.push(() => db.close());
    const schema = migrate(db, undefined, clock.now());
    const audit = new AuditLog(db, identity.keys, clock);
    const peers = new PeerRegistry(db, clock);
    const identityKeys = new IdentityKeyStore(db, clock);
    const capabilities = new CapabilityService({ db, audit, daemon: identity, clock, keyFor: (pubkey) => identityKeys.keyFor(pubkey) });
    const operatorToken = ensureOperatorToken(paths, db, peers, audit, identity.agentId);
    if (operatorToken === 'minted' && capabilities.store.isEmpty()) capabilities.bootstrapOperator(identity.agentId);
    if (operatorToken === 'missing' || operatorToken === 'revoked') {
      logger.log.warn(`the operator token in ${paths.operatorToken} is ${operatorToken}; run \`covenantd --recover-operator\``);
    }
    const disconnect = new TokenDisconnector();
    const ctx: DaemonContext = {
      paths,
      db,
      clock,
      log: logger.log,
      identity,
      audit,
      peers,
      peerQueries: new PeerQueries(db),
      identityKeys,
      capabilities,
      disconnect,
      authorizer: createAuthorizer(capabilities),
      intents: new IntentService(db, audit, clock),
      daemonVersion: COVENANT_VERSION,
    };
    if (existsSync(paths.sock)) unlinkSync(paths.sock); // we hold the lock: no live daemon owns it
    const ipc = new IpcServer(ctx);
    await ipc.listen(paths.sock);
    disconnect.add(ipc);
    let gateway: RunningGateway | null = null;
    if (options.http) {
      try {
        gateway = await startGateway(ctx, options.http);
        const running = gateway;
        // HTTP requests re-resolve their token every time; only open SSE streams need closing.
        disconnect.add({ count: () => 0, close: (tokenHash) => running.disconnectToken(tokenHash) });
      } catch (error) {
        await ipc.shutdown(0);
        throw error;
      }
    }
    audit.append(identity.agentId, 'daemon_started', { version: COVENANT_VERSION, schema_version: schema, pid: process.pid });
    logger.log.info({ home: paths.home, schema_version: schema }, 'covenantd listening');

    let stopping: Promise<void> | null = null;
    const stop = (reason = 'stop') => {
      stopping ??= (async () => {
        logger.log.info({ reason }, 'covenantd shutting down');
        await gateway?.close();
        await ipc.shutdown(options.shutdownGraceMs ?? 10_000);
        try {
          audit.append(identity.agentId, 'daemon_stopped', { reason });
          audit.checkpoint();
        } catch (error) {
          logger.log.error({ err: error }, 'could not write the shutdown checkpoint');
        }
        try {
          unlinkSync(paths.sock);
        } catch {
          // already gone
        }
        for (const cleanup of cleanups.reverse()) cleanup();
      })();
      return stopping;
    };
    return { ctx, paths, stop };
  } catch (error) {
    for (const cleanup of cleanups.reverse()) cleanup();
    throw error;
  }
}
