/**
 * Read-only access to the stores the verifier cross-checks. Memory records and the audit log
 * answer through their own modules (MemoryLookups, AuditLookups); receipts and capabilities
 * are read here: windows (the newest N rows of a table) and batched lookups by id.
 */
import { AuditLookups } from '../audit/index.js';
import { MemoryLookups } from '../memory/index.js';
import type { Db } from '../store/index.js';

export type { MemoryRow } from '../memory/index.js';

export interface ReceiptRow {
  id: string;
  payer: string;
  resource: string;
  status: string;
  settled_at: number;
  intent_id: string | null;
  memory_record_id: string | null;
}

export interface CapabilityRow {
  id: string;
  action: string;
  subject_display: string;
  subject_pubkey: string;
  scope: string;
  expires_at: number | null;
  parent_id: string | null;
  issued_at: number;
}

const CHUNK = 400;
const RECEIPT_SELECT = 'SELECT id, payer, resource, status, settled_at, intent_id, memory_record_id FROM receipts';

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}

export class StoreReader {
  readonly memory: MemoryLookups;
  readonly audit: AuditLookups;

  constructor(readonly db: Db) {
    this.memory = new MemoryLookups(db);
    this.audit = new AuditLookups(db);
  }

  // ---- windows ------------------------------------------------------------------------------

  newestReceipts(limit: number): ReceiptRow[] {
    return this.db.prepare(`${RECEIPT_SELECT} ORDER BY settled_at DESC, rowid DESC LIMIT ?`).all(limit) as ReceiptRow[];
  }

  newestCapabilities(limit: number): CapabilityRow[] {
    return this.db
      .prepare(
        `SELECT id, action, subject_display, subject_pubkey, scope, expires_at, parent_id, issued_at FROM capabilities
         ORDER BY issued_at DESC, rowid DESC LIMIT ?`,
      )
      .all(limit) as CapabilityRow[];
  }

  // ---- lookups ------------------------------------------------------------------------------

  receiptsByIds(ids: readonly string[]): Map<string, ReceiptRow> {
    const found = new Map<string, ReceiptRow>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = this.db.prepare(`${RECEIPT_SELECT} WHERE id IN (${placeholders(part.length)})`).all(...part) as ReceiptRow[];
      for (const row of rows) found.set(row.id, row);
    }
    return found;
  }

  /** Receipts of resource `memory` naming one of these records, by record id (oldest first). */
  memoryReceiptsFor(recordIds: readonly string[]): Map<string, ReceiptRow[]> {
    const found = new Map<string, ReceiptRow[]>();
    for (const part of chunks([...new Set(recordIds)])) {
      const rows = this.db
        .prepare(
          `${RECEIPT_SELECT} WHERE resource = 'memory' AND memory_record_id IN (${placeholders(part.length)})
           ORDER BY settled_at, id`,
        )
        .all(...part) as ReceiptRow[];
      for (const row of rows) {
        const key = row.memory_record_id as string;
        found.set(key, [...(found.get(key) ?? []), row]);
      }
    }
    return found;
  }
}
