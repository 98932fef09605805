import type { AuditLog } from '../audit/index.js';
import type { Clock } from '../core/index.js';
import type { HomePaths } from '../home/index.js';
import type { DaemonIdentity } from '../identity/index.js';
import type { IntentService } from '../intent/index.js';
import type { CapabilityService, IdentityKeyStore } from '../capabilities/index.js';
import type { PeerQueries, PeerRegistry } from '../peers/index.js';
import type { Db } from '../store/index.js';
import type { Authorizer } from './authorizer.js';
import type { TokenDisconnector } from './disconnector.js';
import type { Logger } from './logger.js';

/** Everything a request handler may use. Built once at start-up by `startDaemon`. */
export interface DaemonContext {
  paths: HomePaths;
  db: Db;
  clock: Clock;
  log: Logger;
  identity: DaemonIdentity;
  audit: AuditLog;
  peers: PeerRegistry;
  peerQueries: PeerQueries;
  identityKeys: IdentityKeyStore;
  capabilities: CapabilityService;
  disconnect: TokenDisconnector;
  authorizer: Authorizer;
  intents: IntentService;
  daemonVersion: string;
}
