import type { Migration } from '../migration.js';

/**
 * Signed capabilities (see src/capabilities and docs/capabilities.md) and the keypairs the
 * daemon holds for peers it registered (a delegated grant is signed with the grantor peer's key).
 */
export const capabilities: Migration = {
  version: 2,
  name: 'capabilities and peer identity keys',
  sql: `
    CREATE TABLE capabilities (
      id TEXT PRIMARY KEY,
      subject_display TEXT NOT NULL,
      subject_pubkey TEXT NOT NULL,
      action TEXT NOT NULL,
      scope TEXT NOT NULL,
      granted_by_display TEXT NOT NULL,
      granted_by_pubkey TEXT NOT NULL,
      expires_at INTEGER,
      parent_id TEXT,
      issued_at INTEGER NOT NULL,
      signature_b58 TEXT NOT NULL UNIQUE,
      revoked_at INTEGER
    );
    CREATE INDEX capabilities_subject ON capabilities(subject_pubkey, issued_at);
    CREATE INDEX capabilities_grantor ON capabilities(granted_by_pubkey, issued_at);
    CREATE INDEX capabilities_parent ON capabilities(parent_id);

    CREATE TABLE identity_keys (
      pubkey TEXT PRIMARY KEY,
      display TEXT NOT NULL,
      seed BLOB NOT NULL,
      created_at INTEGER NOT NULL
    );
  `,
};
