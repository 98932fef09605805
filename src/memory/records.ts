/**
 * The `memory_records` table (SPEC 3): `{id, tier, owner, text, embedding, metadata,
 * created_at, parent, receipt_id, stale}`. This file holds the insert and the reads the
 * dispatch pipeline needs; retention, search and purge build on the same table.
 */
import { statement, type Db } from '../store/index.js';
import { blobToEmbedding, embeddingToBlob } from './embedder.js';

import type { MemoryTier } from '../protocol/index.js';

export interface MemoryRecord {
  id: string;
  tier: MemoryTier;
  /** Pubkey (base58) of the owner: the caller whose intent produced it. */
  owner: string;
  text: string;
  embedding: Float32Array;
  metadata: Record<string, unknown>;
  created_at: number;
  parent: string | null;
  receipt_id: string | null;
  stale: boolean;
}

interface MemoryRow {
  id: string;
  tier: MemoryTier;
  owner: string;
  text: string;
  embedding: Buffer;
  metadata: string;
  created_at: number;
  parent: string | null;
  receipt_id: string | null;
  stale: number;
}

function toRecord(row: MemoryRow): MemoryRecord {
  return {
    id: row.id,
    tier: row.tier,
    owner: row.owner,
    text: row.text,
    embedding: blobToEmbedding(row.embedding),
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
    created_at: row.created_at,
    parent: row.parent,
    receipt_id: row.receipt_id,
    stale: row.stale !== 0,
  };
}

export class MemoryRecords {
  constructor(private readonly db: Db) {}

  /** Inserts one record; call it inside the transaction of the event that produced it. */
  insert(record: Omit<MemoryRecord, 'stale'> & { stale?: boolean }): void {
    statement(
      this.db,
      `INSERT INTO memory_records (id, tier, owner, text, embedding, metadata, created_at, parent, receipt_id, stale)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(
        record.id,
        record.tier,
        record.owner,
        record.text,
        embeddingToBlob(record.embedding),
        JSON.stringify(record.metadata),
        record.created_at,
        record.parent,
        record.receipt_id,
        record.stale ? 1 : 0,
      );
  }

  get(id: string): MemoryRecord | null {
    const row = this.db.prepare('SELECT * FROM memory_records WHERE id = ?').get(id) as MemoryRow | undefined;
    return row ? toRecord(row) : null;
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM memory_records').get() as { n: number }).n;
  }
}
