import type { z } from 'zod';
import type { RequestDefinition } from '../request-definition.js';
import { auditCheckpoint, auditVerify } from './audit.js';
import { ping } from './daemon.js';
import { submitIntent } from './intent.js';

/** The request table. Adding a request kind means adding it here and nowhere else. */
export const REQUESTS = {
  ping,
  submit_intent: submitIntent,
  audit_verify: auditVerify,
  audit_checkpoint: auditCheckpoint,
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
