export * from './database.js';
export type { Migration } from './migration.js';
export { statement } from './statements.js';
export { readState, writeState } from './daemon-state.js';
export { asStorageFull, failedOnFullDisk, isStorageFull } from './storage-full.js';
export { StorageReserve } from './storage-reserve.js';
export { idsWithPrefix, type PrefixQuery } from './prefix-matches.js';
export { GroupCommit } from './group-commit.js';
export { stillOpen, trackTransactions, transactionPoint, type TransactionPoint } from './transaction-marks.js';
