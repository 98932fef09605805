export * from './database.js';
export type { Migration } from './migration.js';
export { statement } from './statements.js';
export { readState, writeState } from './daemon-state.js';
export { asStorageFull, isStorageFull } from './storage-full.js';
