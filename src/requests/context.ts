import type { AuditLog } from '../audit/index.js';
import type { BudgetService } from '../budget/index.js';
import type { SettlementService } from '../settlement/index.js';
import type { IgnoreGate } from '../policy/index.js';
import type { Clock } from '../core/index.js';
import type { HomePaths } from '../home/index.js';
import type { DaemonIdentity } from '../identity/index.js';
import type { IntentService } from '../intent/index.js';
import type { MemoryService } from '../memory/index.js';
import type { ModelService } from '../model/index.js';
import type { AgentRuntime } from '../runtime/index.js';
import type { CapabilityService, IdentityKeyStore } from '../capabilities/index.js';
import type { PeerQueries, PeerRegistry } from '../peers/index.js';
import type { Db, GroupCommit, StorageReserve } from '../store/index.js';
import type { McpServers, ToolRegistry } from '../mcp/index.js';
import type { ConsoleSessions } from '../console/index.js';
import type { DaemonConfig } from '../config/index.js';
import type { Authorizer } from './authorizer.js';
import type { Caller } from './caller.js';
import type { TokenDisconnector } from './disconnector.js';
import type { Logger } from 'pino';
import type { MailboxService, RemoteRegistry, RetryStaleTimer } from '../a2a/index.js';

/** Everything a request handler may use. Built once at start-up by `startDaemon`. */
export interface DaemonContext {
  paths: HomePaths;
  /** config.toml as loaded at start or by the latest accepted SIGHUP (docs/configuration.md). */
  config: DaemonConfig;
  db: Db;
  /** Answers wait for `commits.durable()`: the group commit of the turn that wrote them. */
  commits: GroupCommit;
  clock: Clock;
  log: Logger;
  identity: DaemonIdentity;
  audit: AuditLog;
  peers: PeerRegistry;
  peerQueries: PeerQueries;
  identityKeys: IdentityKeyStore;
  capabilities: CapabilityService;
  disconnect: TokenDisconnector;
  tools: ToolRegistry;
  /** The supervised `[[mcp.server]]` entries of config.toml (SPEC 11). */
  mcp: McpServers;
  authorizer: Authorizer;
  intents: IntentService<Caller>;
  /** Installed agents and the runners they dispatch to (SPEC 12, 13). */
  runtime: AgentRuntime;
  /** The `.covenantignore` gate (SPEC 7). */
  ignore: IgnoreGate;
  /** Agent budgets, paused intents and resume (SPEC 14). */
  budget: BudgetService;
  /** Memory records: write, read, search, purge, retention (SPEC 3). */
  memory: MemoryService;
  /** The local model provider of config.toml [model] (SPEC 16), for agents' host calls. */
  model: ModelService;
  /** Receipts, batches, proofs and the chain backend (SPEC 15). */
  settlement: SettlementService;
  /** Read-only mode on a full disk (docs/operations.md, "Disk full"). */
  storage: StorageReserve;
  /** The A2A mailbox (SPEC 10). */
  mailbox: MailboxService;
  /** Applies an enabled `a2a retry-stale` policy by itself. */
  retryStaleTimer: RetryStaleTimer;
  /** Remote daemons `<agent>@<remote>` tasks are delivered to (SPEC 10 "Federation"). */
  remotes: RemoteRegistry;
  daemonVersion: string;
  /** Operator console login codes and sessions (SPEC 19). */
  console: ConsoleSessions;
  /** The gateway's base URL once it listens (the console's address); null without a gateway. */
  gatewayUrl: string | null;
}
