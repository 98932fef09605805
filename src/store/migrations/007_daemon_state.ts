import type { Migration } from '../migration.js';

/** Small facts the daemon must remember across restarts (e.g. that first-start grants were made). */
export const daemonState: Migration = {
  version: 7,
  name: 'daemon state',
  sql: `
    CREATE TABLE daemon_state (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
  `,
};
