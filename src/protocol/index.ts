/**
 * The wire vocabulary: every request and response schema and the constants they use. Imports
 * only zod and core; every other folder takes its wire types from here.
 */
export * from './constants.js';
export * from './agent-id.js';
export * from './handshake.js';
export * from './memory-tiers.js';
export * from './receipts.js';
export * from './verify-report.js';
export * from './request-definition.js';
export * from './reply-frame.js';
export * from './requests/index.js';
export * from './audit-follow.js';
export { MAX_AUDIT_KIND_FILTERS, MAX_RECENT_AUDIT_LIMIT } from './requests/audit.js';
export type { CompactionOutcome, MemoryReadRecord, MemoryWrittenRecord } from './requests/memory.js';
export type { IntentOutcome } from './requests/intent.js';
