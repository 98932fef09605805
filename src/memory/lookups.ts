/**
 * Memory records and tombstones as the state verifier sees them: windows, batched lookups by
 * id, and the three single-row fixes a targeted repair makes. Reads are plain SELECTs; the
 * fixes run inside the repair's transaction, which also writes its audit row.
 */
import { jsonObjectOrEmpty } from '../core/index.js';
import type { Db } from '../store/index.js';

export interface MemoryRow {
  id: string;
  tier: string;
  owner: string;
  metadata: Record<string, unknown>;
  created_at: number;
  parent: string | null;
  receipt_id: string | null;
}

type StoredMemoryRow = Omit<MemoryRow, 'metadata'> & { metadata: string };

const COLUMNS = 'id, tier, owner, metadata, created_at, parent, receipt_id';
/** SQLite's default limit on bound parameters is far above this; it keeps statements small. */
const CHUNK = 400;

function chunked<T>(items: Iterable<T>): T[][] {
  const all = [...new Set(items)];
  const out: T[][] = [];
  for (let i = 0; i < all.length; i += CHUNK) out.push(all.slice(i, i + CHUNK));
  return out;
}

function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}

function toRow(row: StoredMemoryRow): MemoryRow {
  return { ...row, metadata: jsonObjectOrEmpty(row.metadata) };
}

export class MemoryLookups {
  constructor(private readonly db: Db) {}

  newest(limit: number): MemoryRow[] {
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM memory_records ORDER BY created_at DESC, rowid DESC LIMIT ?`).all(limit) as StoredMemoryRow[];
    return rows.map(toRow);
  }

  byIds(ids: Iterable<string>): Map<string, MemoryRow> {
    const found = new Map<string, MemoryRow>();
    for (const part of chunked(ids)) {
      const rows = this.db.prepare(`SELECT ${COLUMNS} FROM memory_records WHERE id IN (${placeholders(part.length)})`).all(...part) as StoredMemoryRow[];
      for (const row of rows) found.set(row.id, toRow(row));
    }
    return found;
  }

  /** Records whose `receipt_id` is one of `receiptIds`, by receipt id → record id. */
  byReceiptIds(receiptIds: Iterable<string>): Map<string, string> {
    const found = new Map<string, string>();
    for (const part of chunked(receiptIds)) {
      const rows = this.db
        .prepare(`SELECT id, receipt_id FROM memory_records WHERE receipt_id IN (${placeholders(part.length)})`)
        .all(...part) as Array<{ id: string; receipt_id: string }>;
      for (const row of rows) found.set(row.receipt_id, row.id);
    }
    return found;
  }

  /** The parent id of one record: undefined when the record does not exist. */
  parentOf(id: string): string | null | undefined {
    const row = this.db.prepare('SELECT parent FROM memory_records WHERE id = ?').get(id) as { parent: string | null } | undefined;
    return row === undefined ? undefined : row.parent;
  }

  createdAt(id: string): number | null {
    const row = this.db.prepare('SELECT created_at FROM memory_records WHERE id = ?').get(id) as { created_at: number } | undefined;
    return row?.created_at ?? null;
  }

  /** Ids of the records whose parent is one of `ids`, by parent. */
  childrenOf(ids: Iterable<string>): Map<string, string[]> {
    const found = new Map<string, string[]>();
    for (const part of chunked(ids)) {
      const rows = this.db
        .prepare(`SELECT id, parent FROM memory_records WHERE parent IN (${placeholders(part.length)}) ORDER BY created_at, id`)
        .all(...part) as Array<{ id: string; parent: string }>;
      for (const row of rows) found.set(row.parent, [...(found.get(row.parent) ?? []), row.id]);
    }
    return found;
  }

  /**
   * Tombstone lookups (by record id, by receipt id), or null on a database from before
   * tombstones existed.
   */
  tombstones(): { byRecord(id: string): boolean; byReceipt(id: string): boolean } | null {
    if (this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'memory_tombstones'").get() === undefined) return null;
    const byRecord = this.db.prepare('SELECT 1 FROM memory_tombstones WHERE record_id = ?');
    const byReceipt = this.db.prepare('SELECT 1 FROM memory_tombstones WHERE receipt_id = ? LIMIT 1');
    return { byRecord: (id) => byRecord.get(id) !== undefined, byReceipt: (id) => byReceipt.get(id) !== undefined };
  }

  // ---- the fixes of a targeted repair ------------------------------------------------------

  detachParent(id: string): void {
    this.db.prepare('UPDATE memory_records SET parent = NULL WHERE id = ?').run(id);
  }

  deleteRecord(id: string): void {
    this.db.prepare('DELETE FROM memory_records WHERE id = ?').run(id);
  }

  linkReceipt(id: string, receiptId: string): void {
    this.db.prepare('UPDATE memory_records SET receipt_id = ? WHERE id = ?').run(receiptId, id);
  }
}
