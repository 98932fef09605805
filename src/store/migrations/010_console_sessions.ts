import type { Migration } from '../migration.js';

/**
 * The operator console (SPEC 19): one-time login codes (only their hashes) and the console
 * sessions they were traded for. A session's token is a row of `peers` (role operator, so
 * `covenant peers revoke` ends it); this table says it is a console session and when it was
 * last used (the idle expiry).
 */
export const consoleSessions: Migration = {
  version: 10,
  name: 'console sessions',
  sql: `
    CREATE TABLE console_codes (
      code_hash TEXT PRIMARY KEY,
      code_prefix TEXT NOT NULL,
      issued_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      used_at INTEGER
    );
    CREATE TABLE console_sessions (
      token_hash TEXT PRIMARY KEY,
      code_prefix TEXT NOT NULL,
      started_at INTEGER NOT NULL,
      last_seen_at INTEGER NOT NULL
    );
  `,
};
