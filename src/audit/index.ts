export * from './audit-log.js';
export * from './verify.js';
export * from './queries.js';
export * from './purge.js';
export { GENESIS_CHAIN_HASH } from './hashing.js';
