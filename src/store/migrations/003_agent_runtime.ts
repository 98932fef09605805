import type { Migration } from '../migration.js';

/**
 * Agent runtime and dispatch (SPEC 12, 3, 15): installed agents, settlement receipts and
 * memory records. A dispatch writes a compute receipt, (on success) a `working` memory record
 * whose `receipt_id` names that receipt, and its audit row, in one transaction.
 */
export const agentRuntime: Migration = {
  version: 3,
  name: 'installed agents, receipts, memory records',
  sql: `
    CREATE TABLE agents (
      id TEXT PRIMARY KEY,
      manifest TEXT NOT NULL,
      package_dir TEXT NOT NULL,
      installed_at INTEGER NOT NULL,
      package_sha256 TEXT NOT NULL
    );

    CREATE TABLE receipts (
      id TEXT PRIMARY KEY,
      payer TEXT NOT NULL,
      resource TEXT NOT NULL CHECK (resource IN ('compute', 'memory', 'tool', 'message')),
      status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
      credits_consumed INTEGER NOT NULL CHECK (credits_consumed >= 0),
      settled_at INTEGER NOT NULL,
      intent_id TEXT,
      memory_record_id TEXT,
      failure_reason TEXT,
      batch_id TEXT,
      merkle_root TEXT,
      chain TEXT,
      tx_sig TEXT
    );
    CREATE INDEX receipts_payer ON receipts(payer, settled_at);
    CREATE INDEX receipts_settled ON receipts(settled_at);
    CREATE INDEX receipts_intent ON receipts(intent_id);
    CREATE INDEX receipts_memory ON receipts(memory_record_id);
    CREATE INDEX receipts_batch ON receipts(batch_id);

    CREATE TABLE memory_records (
      id TEXT PRIMARY KEY,
      tier TEXT NOT NULL CHECK (tier IN ('working', 'episodic', 'longterm')),
      owner TEXT NOT NULL,
      text TEXT NOT NULL,
      embedding BLOB NOT NULL,
      metadata TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      parent TEXT,
      receipt_id TEXT,
      stale INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX memory_records_owner ON memory_records(owner, tier, created_at);
    CREATE INDEX memory_records_created ON memory_records(created_at);
    CREATE INDEX memory_records_parent ON memory_records(parent);
    CREATE INDEX memory_records_receipt ON memory_records(receipt_id);
  `,
};
