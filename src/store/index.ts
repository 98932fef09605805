export * from './database.js';
export type { Migration } from './migration.js';
export { statement } from './statements.js';
