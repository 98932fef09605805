import { unlinkSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { AuditLog, currentRequestRows, verifyAuditSinceCheckpoint } from '../audit/index.js';
import { BudgetService, type DeadlineTimer } from '../budget/index.js';
import { chainBackendFromEnv, SettlementService } from '../settlement/index.js';
import { IgnoreGate } from '../policy/index.js';
import { COVENANT_VERSION, CovenantError, systemClock, type Clock } from '../core/index.js';
import { acquireInstanceLock, ensurePrivateDir, homePaths, homeWriteError, prepareHome, type HomePaths } from '../home/index.js';
import { loadOrCreateDaemonIdentity, type DaemonIdentity } from '../identity/index.js';
import { IntentService } from '../intent/index.js';
import { localMemoryEmbedder, MemoryService } from '../memory/index.js';
import { ModelService, modelMemoryEmbedder } from '../model/index.js';
import { DEFAULT_KILL_GRACE_MS, openAgentRuntime, type AgentRuntimeOptions } from '../runtime/index.js';
import { CapabilityService, IdentityKeyStore } from '../capabilities/index.js';
import { builtinTools, McpServers, ToolRegistry } from '../mcp/index.js';
import { DaemonConfig } from '../config/index.js';
import { currentMcpConfig, mcpServersOf, reloadConfig, type ReloadOutcome } from './config-reload.js';
import { ensureOperatorToken, PeerQueries, PeerRegistry } from '../peers/index.js';
import { startGateway, type GatewayOptions, type RunningGateway } from '../gateway/index.js';
import { failedOnFullDisk, GroupCommit, migrate, openDatabase, readState, StorageReserve, writeState, type Db } from '../store/index.js';
import { IpcServer } from './ipc-server.js';
import { ConsoleSessions } from '../console/index.js';
import { agentTaskRun, createAuthorizer, hostCallOpener, intentAuthorize, TokenDisconnector, type Caller, type DaemonContext } from '../requests/index.js';
import { AgentTaskWorker, connectRemote, MailboxService, OutboxWorker, RemoteRegistry, RetryStaleTimer } from '../a2a/index.js';
import { deliverTimeoutMs } from './deliver-timeout.js';
import { createDaemonLogger, type Logger } from './logger.js';
import { DEFAULT_SHUTDOWN_GRACE_MS, runCleanups, shutDown } from './shutdown.js';

const OPERATOR_BOOTSTRAPPED = 'operator_bootstrapped_at';
const SOCKET_PROBE_MS = 1000;

export interface DaemonOptions {
  home: string;
  clock?: Clock;
  /** Log to stderr as well as the log file (the binary does; in-process tests do not). */
  logToStderr?: boolean;
  /** Human lines on stderr instead of JSON (the binary, when stderr is a terminal). */
  humanLogs?: boolean;
  shutdownGraceMs?: number;
  /** One commit per event-loop turn for every request's writes (default true; docs/performance.md). */
  groupCommit?: boolean;
  /** Agent runtime overrides (tests): environment, kill grace, runsc path. */
  agentRuntime?: AgentRuntimeOptions;
  /** When a run's budget deadline fires (default: real time; in-process tests fire it themselves). */
  budgetDeadlineTimer?: DeadlineTimer;
  /** The HTTP gateway (SPEC 4); absent or false: none (in-process tests, `--no-http`). */
  http?: GatewayOptions | false;
}

export interface RunningDaemon {
  ctx: DaemonContext;
  paths: HomePaths;
  stop(reason?: string): Promise<void>;
  /** SIGHUP: re-reads config.toml; an invalid file is refused (logged, audited) and the config in use kept. */
  reload(): ReloadOutcome;
}

/** Brings up a daemon on a home: lock, database, identity, operator token, socket. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  process.umask(0o077); // every file the daemon creates is private to its user
  const paths = homePaths(options.home);
  prepareHome(paths.home);
  // config.toml is checked before anything starts: an invalid file names each key and line and refuses the start.
  const config = DaemonConfig.load(paths.config);
  const lock = await acquireInstanceLock(paths);
  const cleanups: Array<() => unknown> = [() => lock.release()];
  try {
    ensurePrivateDir(paths.logsDir);
    const logger = createDaemonLogger(paths.daemonLog, { stderr: options.logToStderr ?? false, humanStderr: options.humanLogs ?? false });
    cleanups.push(() => logger.close());
    const clock = options.clock ?? systemClock;
    const identity = loadOrCreateDaemonIdentity(paths);
    const db = openDatabase(paths.db);
    cleanups.push(() => db.close());
    const schema = migrate(db, undefined, clock.now());
    const commits = new GroupCommit(db, options.groupCommit ?? true, () => currentRequestRows() !== null);
    // Runs before db.close (cleanups run last first): what the last turn wrote is committed.
    cleanups.push(() => commits.commitNow());
    const audit = new AuditLog(db, identity.keys, clock);
    checkAuditAtStart(db, audit, identity, logger.log);
    const peers = new PeerRegistry(db, clock);
    const identityKeys = new IdentityKeyStore(db, clock);
    const capabilities = new CapabilityService({ db, audit, daemon: identity, clock, keyFor: (pubkey) => identityKeys.keyFor(pubkey) });
    const operatorToken = ensureOperatorToken(paths, db, peers, audit, identity.agentId);
    // First start grants the operator its default set, once: a start that crashed before the
    // grants retries them; later starts never re-grant what the operator revoked.
    if (readState(db, OPERATOR_BOOTSTRAPPED) === null) {
      db.transaction(() => {
        capabilities.bootstrapOperator(identity.agentId);
        writeState(db, OPERATOR_BOOTSTRAPPED, String(clock.now()), clock.now());
      })();
    }
    if (operatorToken === 'missing' || operatorToken === 'revoked' || operatorToken === 'unknown') {
      logger.log.warn(`the operator token in ${paths.operatorToken} is ${operatorToken}; run \`covenantd --recover-operator\``);
    }
    const disconnect = new TokenDisconnector();
    const ignoreGate = new IgnoreGate({
      homeFile: paths.ignoreFile,
      agentsDir: paths.agentsDir,
      onReload: (event) => logger.log.info(event, event.seeded ? 'seeded .covenantignore with the default secret rules' : 'loaded ignore rules'),
    });
    ignoreGate.seed();
    const budget = new BudgetService({
      db,
      audit,
      clock,
      daemon: identity.agentId,
      ...(options.budgetDeadlineTimer === undefined ? {} : { deadlineTimer: options.budgetDeadlineTimer }),
    });
    const interrupted = budget.failInterruptedResumes();
    if (interrupted.length > 0) logger.log.warn({ intents: interrupted }, 'resumed intents whose run the last covenantd did not finish are marked failed (intent_interrupted)');
    // The chain backend comes from the environment (COVENANT_CHAIN_BACKEND, COVENANT_SOLANA_*; docs/settlement.md).
    const settlement = new SettlementService({ db, audit, clock, identity, backend: chainBackendFromEnv(process.env) });
    // The model provider (SPEC 16) starts nothing until its first call (an agent's, or memory's
    // embedder when [model] embed_model is set).
    const model = new ModelService(paths.config, options.agentRuntime?.env ?? process.env);
    cleanups.push(() => model.close());
    const modelEmbedder = model.memoryEmbedderId();
    // Memory (SPEC 3, docs/memory.md): [memory.retention] is re-read at every compaction.
    const memory = new MemoryService({
      db,
      audit,
      clock,
      embedder: modelEmbedder === null ? localMemoryEmbedder() : modelMemoryEmbedder(model, modelEmbedder),
      indexDir: join(paths.home, 'memory-index'),
      configPath: paths.config,
      daemon: identity.agentId,
      log: logger.log,
    });
    cleanups.push(() => memory.stopRetentionTimer());
    cleanups.push(() => memory.close());
    // Installed agents (loaded and prewarmed now) and their runners; closed on stop.
    const agentRuntime = openAgentRuntime(
      {
        home: paths.home,
        agentsDir: paths.agentsDir,
        runtimeDir: paths.runtimeDir,
        db,
        audit,
        clock,
        log: logger.log,
        // Budgets follow the manifest (SPEC 14): at start-up for installed agents and at each install.
        onAgentLoaded: (agent) => budget.configureFromManifest(agent.id, agent.manifest.settlement.budget_credits_per_hour),
      },
      options.agentRuntime,
    );
    cleanups.push(() => agentRuntime.close());
    // MCP servers (SPEC 11): started in the background; one that cannot start leaves the daemon serving.
    const tools = new ToolRegistry(builtinTools(clock));
    const mcp = new McpServers({
      configPath: paths.config,
      load: () => currentMcpConfig(paths.config),
      logsDir: paths.logsDir,
      workDir: join(paths.runtimeDir, 'mcp'),
      registry: tools,
      daemonEnv: process.env,
      clientVersion: COVENANT_VERSION,
      log: logger.log,
      onState: (server, from, to, reason) => {
        try {
          audit.append(identity.agentId, { kind: 'tool_server_state', payload: { server, from, to, reason } });
        } catch (error) {
          logger.log.warn({ server, to, error: (error as Error).message }, 'could not audit an MCP server state change');
        }
      },
    });
    cleanups.push(() => mcp.stop());
    const storage = new StorageReserve(paths.storageReserve);
    storage.ensure();
    const mailbox = new MailboxService({ db, audit, clock, daemon: identity.agentId });
    const retryStaleTimer = new RetryStaleTimer(mailbox, identity.agentId, logger.log);
    // Federation (SPEC 10): remote daemons and the outbox that delivers to them.
    const timeoutMs = deliverTimeoutMs(process.env, logger.log);
    const remotes = new RemoteRegistry({ db, audit, clock, dir: paths.remotesDir, connect: connectRemote, timeoutMs });
    const ctx: DaemonContext = {
      paths,
      config,
      db,
      commits,
      clock,
      log: logger.log,
      identity,
      audit,
      peers,
      peerQueries: new PeerQueries(db),
      identityKeys,
      capabilities,
      disconnect,
      tools,
      mcp,
      authorizer: createAuthorizer(capabilities),
      intents: new IntentService<Caller>(db, audit, clock, {
        agents: agentRuntime.agents,
        runners: agentRuntime.runners,
        // An agent's [capabilities] required are checked against the caller like any request.
        authorize: intentAuthorize(() => ctx.authorizer),
        log: logger.log,
        ignore: ignoreGate,
        budget,
        memory,
        hostCalls: hostCallOpener(() => ctx),
      }),
      runtime: agentRuntime,
      ignore: ignoreGate,
      budget,
      settlement,
      memory,
      model,
      storage,
      mailbox,
      retryStaleTimer,
      remotes,
      daemonVersion: COVENANT_VERSION,
      console: new ConsoleSessions({ db, clock, audit, peers, peerQueries: new PeerQueries(db), operator: identity.agentId }),
      gatewayUrl: null,
    };
    const agentTasks = new AgentTaskWorker({ mailbox, audit, daemon: identity.agentId, log: logger.log, run: agentTaskRun(ctx) });
    cleanups.push(() => agentTasks.stop());
    const outbox = new OutboxWorker({ db, mailbox, remotes, audit, clock, daemon: identity.agentId, log: logger.log, timeoutMs });
    cleanups.push(() => outbox.stop());
    cleanups.push(() => retryStaleTimer.stop());
    // We hold the lock, so a socket left here is stale; one that answers means the lock was
    // bypassed (its covenantd.lock deleted under a running daemon): refuse rather than steal it.
    if (await socketAnswers(paths.sock)) {
      throw new CovenantError('E_ALREADY_RUNNING', `a covenantd already answers on ${paths.sock}; stop it first or use another --home`);
    }
    if (lock.takenOverFrom !== null) {
      logger.log.warn({ stale_pid: lock.takenOverFrom }, `took over the lock of a covenantd (pid ${lock.takenOverFrom}) that is no longer running (killed or crashed); its socket is replaced`);
    }
    removeSocket(paths.sock);
    const ipc = new IpcServer(ctx);
    await ipc.listen(paths.sock);
    cleanups.push(async () => {
      await ipc.shutdown(0);
      removeSocket(paths.sock);
    });
    disconnect.add(ipc);
    let gateway: RunningGateway | null = null;
    if (options.http) {
      gateway = await startGateway(ctx, options.http);
      ctx.gatewayUrl = gateway.url;
      const running = gateway;
      cleanups.push(() => running.close());
      // HTTP requests re-resolve their token every time; only open SSE streams need closing.
      disconnect.add({ count: (tokenHash) => running.countToken(tokenHash), close: (tokenHash) => running.disconnectToken(tokenHash) });
    }
    audit.append(identity.agentId, { kind: 'daemon_started', payload: { version: COVENANT_VERSION, schema_version: schema, pid: process.pid } });
    memory.startRetentionTimer(); // [memory.retention], every 10 min (unref'd); stopped in stop()
    agentTasks.start(); // queued tasks for installed agents; stopped before the runs are aborted
    retryStaleTimer.start(); // only when `a2a retry-stale --enable` stored an enabled policy
    outbox.start(); // resumes deliveries to remote daemons a stop interrupted; then woken by each queued task
    void mcp.reload(mcpServersOf(config.current()));
    const agents = agentRuntime.agents.list().map((agent) => agent.id);
    logger.log.info(
      { version: COVENANT_VERSION, home: paths.home, socket: paths.sock, gateway: gateway?.url ?? 'off', backend: agentRuntime.defaultBackend, agents, schema_version: schema },
      'covenantd listening',
    );

    let stopping: Promise<void> | null = null;
    const stop = (reason = 'stop') => {
      stopping ??= shutDown({
        reason,
        log: logger.log,
        graceMs: options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
        killGraceMs: options.agentRuntime?.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
        stopTimers: () => {
          memory.stopRetentionTimer();
          retryStaleTimer.stop();
        },
        closeGateway: async () => gateway?.close(),
        closeIpc: (graceMs) => ipc.shutdown(graceMs),
        abortRuns: async () => {
          const worker = agentTasks.stop();
          const deliveries = outbox.stop();
          await ctx.intents.close();
          await worker;
          await deliveries;
        },
        closeRuntime: async () => {
          await mcp.stop();
          await agentRuntime.close();
          await model.close();
        },
        recordStop: () => {
          audit.append(identity.agentId, { kind: 'daemon_stopped', payload: { reason } });
          audit.checkpoint();
        },
        removeSocket: () => removeSocket(paths.sock),
        cleanups, // each idempotent: what the steps above already closed stays closed
      });
      return stopping;
    };
    return { ctx, paths, stop, reload: () => reloadConfig(ctx) };
  } catch (error) {
    await runCleanups(cleanups);
    throw startRefusal(error, paths.home);
  }
}

/** Rows since the newest checkpoint must verify; when they do not, the daemon serves on but says so loudly and audits it. */
function checkAuditAtStart(db: Db, audit: AuditLog, identity: DaemonIdentity, log: Logger): void {
  const tail = verifyAuditSinceCheckpoint(db, identity.agentId.pubkey);
  if (tail.failures.length === 0) return;
  const first = tail.failures[0]!;
  log.error(
    { from_seq: tail.from_seq, failures: tail.failures.slice(0, 20) },
    `THE AUDIT LOG DOES NOT VERIFY since checkpoint seq ${tail.from_seq}: ${tail.failures.length} failure(s), first at seq ${first.seq}: ${first.reason}. It may have been tampered with; run \`covenant audit verify\` (docs/audit.md)`,
  );
  try {
    audit.append(identity.agentId, { kind: 'audit_chain_unverified', payload: { from_seq: tail.from_seq, failures: tail.failures.slice(0, 20) } });
  } catch (error) {
    log.error({ error: (error as Error).message }, 'could not audit the failed start-up check of the audit log');
  }
}

/** A start that failed on a full or read-only disk says so and what to do; anything else as is. */
function startRefusal(error: unknown, home: string): unknown {
  if (failedOnFullDisk(error, home)) {
    return new CovenantError(
      'E_STORAGE_FULL',
      `the disk holding ${home} is full, so covenantd cannot record its start in the audit log and does not serve; free space there (old logs/covenantd.log.N can go), then start covenantd again`,
    );
  }
  return homeWriteError(error, home) ?? error;
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

/** Whether something accepts connections on the Unix socket at `path`. */
function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(path);
    const done = (answers: boolean) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answers);
    };
    const timer = setTimeout(() => done(true), SOCKET_PROBE_MS); // accepted but silent: someone is there
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
