export * from './audit-log.js';
export * from './verify.js';
export * from './queries.js';
export * from './purge.js';
export { GENESIS_CHAIN_HASH } from './hashing.js';
export { AUDIT_HEAD_FILE, auditHeadPath, readAuditHead } from './head.js';
export { HEAD_REFRESH_MS } from './head-keeper.js';
export * from './events.js';
export { AuditLookups, type DispatchedRow } from './lookups.js';
