import type { z } from 'zod';
import type { RequestDefinition } from '../request-definition.js';
import { auditCheckpoint, auditPurge, auditRecent, auditVerify } from './audit.js';
import { bootstrap, capabilitiesGrant, capabilitiesPurge, capabilitiesRecent, capabilitiesRevoke } from './capabilities.js';
import { ping } from './daemon.js';
import { submitIntent } from './intent.js';
import { peersAdd, peersList, peersPurge, peersRevoke, peersRotate } from './peers.js';

export { PurgeCutoffParams, resolvePurgeCutoff } from './purge-cutoff.js';

/** The request table. Adding a request kind means adding it here and nowhere else. */
export const REQUESTS = {
  ping,
  submit_intent: submitIntent,
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
} as const;

export type RequestTable = typeof REQUESTS;
export type RequestKind = keyof RequestTable;
export type ParamsOf<K extends RequestKind> = z.infer<RequestTable[K]['params']>;
export type ResponseOf<K extends RequestKind> = z.infer<RequestTable[K]['response']>;

export function isRequestKind(kind: string): kind is RequestKind {
  return Object.hasOwn(REQUESTS, kind);
}

export function requestDefinition(kind: RequestKind): RequestDefinition {
  return REQUESTS[kind] as unknown as RequestDefinition;
}
