import type { Migration } from '../migration.js';

export const foundation: Migration = {
  version: 1,
  name: 'foundation: audit chain, checkpoints, peers',
  sql: `
    CREATE TABLE audit_events (
      seq INTEGER PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      timestamp_ms INTEGER NOT NULL,
      issuer_display TEXT NOT NULL,
      issuer_pubkey TEXT NOT NULL,
      kind TEXT NOT NULL,
      payload TEXT NOT NULL,
      event_hash TEXT NOT NULL,
      chain_hash TEXT NOT NULL
    );
    CREATE INDEX audit_events_kind ON audit_events(kind, seq);
    CREATE INDEX audit_events_issuer ON audit_events(issuer_pubkey, seq);
    CREATE INDEX audit_events_time ON audit_events(timestamp_ms);

    CREATE TABLE audit_checkpoints (
      seq INTEGER PRIMARY KEY,
      chain_hash TEXT NOT NULL,
      timestamp_ms INTEGER NOT NULL,
      signature_b58 TEXT NOT NULL
    );

    CREATE TABLE peers (
      token_hash TEXT PRIMARY KEY,
      token_prefix TEXT NOT NULL,
      display TEXT NOT NULL,
      pubkey TEXT NOT NULL,
      role TEXT NOT NULL CHECK (role IN ('operator', 'peer')),
      registered_at INTEGER NOT NULL,
      revoked_at INTEGER
    );
    CREATE INDEX peers_prefix ON peers(token_prefix);
    CREATE INDEX peers_pubkey ON peers(pubkey);
  `,
};
