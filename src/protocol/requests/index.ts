import type { z } from 'zod';
import type { RequestDefinition } from '../request-definition.js';
import { auditCheckpoint, auditPurge, auditRecent, auditVerify } from './audit.js';
import { bootstrap, capabilitiesGrant, capabilitiesPurge, capabilitiesRecent, capabilitiesRevoke } from './capabilities.js';
import { ping, status } from './daemon.js';
import { submitIntent } from './intent.js';
import { agentsInstall, agentsList, agentsRemove } from './agents.js';
import { doctor } from './doctor.js';
import { peersAdd, peersList, peersPurge, peersRevoke, peersRotate } from './peers.js';
import { toolsCall, toolsList, toolsRestart, toolsServers } from './tools.js';
import { ignoreCheck } from './policy.js';
import { budgetSet, budgetStatus, budgetTopup, intentsResume } from './budget.js';
import { intentsList, intentsShow } from './intents.js';
import { memoryCompact, memoryImport, memoryPurge, memoryRecent, memorySearch, memoryWrite } from './memory.js';
import { chainBatches, chainFlush, chainStatus, receiptsProve, receiptsRecent } from './settlement.js';
import { memoryRepair, verify } from './verify.js';
import { consoleCode, coverageMatrix } from './console.js';
import { remotesAdd, remotesCheck, remotesList, remotesRemove } from './remotes.js';
import { a2aCancel, a2aCompact, a2aForceError, a2aRecv, a2aRequeue, a2aRespond, a2aResults, a2aRetryStale, a2aSend, a2aStatus } from './a2a.js';

export { PurgeCutoffParams, resolvePurgeCutoff } from './purge-cutoff.js';
export { DoctorCheckSchema } from './doctor.js';
export { IntentListStatusSchema, type IntentListStatus } from './intents.js';
export { CoverageSurfaceSchema } from './console.js';
export * from './a2a.js';
export { RemoteViewSchema, RemoteCheckSchema, RESERVED_REMOTE_NAMES, type RemoteView } from './remotes.js';
export type { RevokeMatch } from './peers.js';
export { ToolContentSchema, ToolServerSchema, TOOL_SERVER_STATES, type ToolContent, type ToolServerView } from './tools.js';

/** The request table. Adding a request kind means adding it here and nowhere else. */
export const REQUESTS = {
  ping,
  status,
  memory_write: memoryWrite,
  memory_recent: memoryRecent,
  memory_search: memorySearch,
  memory_import: memoryImport,
  memory_purge: memoryPurge,
  memory_compact: memoryCompact,
  submit_intent: submitIntent,
  agents_install: agentsInstall,
  agents_list: agentsList,
  agents_remove: agentsRemove,
  doctor,
  audit_verify: auditVerify,
  audit_checkpoint: auditCheckpoint,
  audit_recent: auditRecent,
  audit_purge: auditPurge,
  capabilities_grant: capabilitiesGrant,
  capabilities_recent: capabilitiesRecent,
  capabilities_revoke: capabilitiesRevoke,
  capabilities_purge: capabilitiesPurge,
  bootstrap,
  peers_add: peersAdd,
  peers_list: peersList,
  peers_rotate: peersRotate,
  peers_revoke: peersRevoke,
  peers_purge: peersPurge,
  tools_list: toolsList,
  tools_call: toolsCall,
  tools_servers: toolsServers,
  tools_restart: toolsRestart,
  ignore_check: ignoreCheck,
  budget_status: budgetStatus,
  budget_topup: budgetTopup,
  budget_set: budgetSet,
  intents_resume: intentsResume,
  intents_list: intentsList,
  intents_show: intentsShow,
  receipts_recent: receiptsRecent,
  receipts_prove: receiptsProve,
  chain_status: chainStatus,
  chain_flush: chainFlush,
  chain_batches: chainBatches,
  verify,
  memory_repair: memoryRepair,
  a2a_send: a2aSend,
  a2a_recv: a2aRecv,
  a2a_respond: a2aRespond,
  a2a_results: a2aResults,
  a2a_status: a2aStatus,
  a2a_cancel: a2aCancel,
  a2a_requeue: a2aRequeue,
  a2a_force_error: a2aForceError,
  a2a_retry_stale: a2aRetryStale,
  a2a_compact: a2aCompact,
  remotes_add: remotesAdd,
  remotes_list: remotesList,
  remotes_check: remotesCheck,
  remotes_remove: remotesRemove,
  console_code: consoleCode,
  coverage_matrix: coverageMatrix,
} as const;

export type RequestTable = typeof REQUESTS;
export type RequestKind = keyof RequestTable;
/** Parameters after parsing (what a handler gets). */
export type ParamsOf<K extends RequestKind> = z.infer<RequestTable[K]['params']>;
/** Parameters as a client sends them (before transforms such as tier spellings). */
export type ParamsInput<K extends RequestKind> = z.input<RequestTable[K]['params']>;
export type ResponseOf<K extends RequestKind> = z.infer<RequestTable[K]['response']>;

/** The kinds as a Set: `Object.hasOwn` on the ~60-key table was half a microsecond a request. */
const KINDS: ReadonlySet<string> = new Set(Object.keys(REQUESTS));

export function isRequestKind(kind: string): kind is RequestKind {
  return KINDS.has(kind);
}

export function requestDefinition(kind: RequestKind): RequestDefinition {
  return REQUESTS[kind];
}
