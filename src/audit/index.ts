export * from './audit-log.js';
export * from './verify.js';
export { GENESIS_CHAIN_HASH } from './hashing.js';
