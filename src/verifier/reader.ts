/**
 * Read-only access to the stores the verifier cross-checks: windows (the newest N rows of a
 * table) and batched lookups by id. Nothing here writes; every query is a SELECT or a PRAGMA
 * that only reads.
 */
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

export interface AuditRowLite {
  seq: number;
  id: string;
  timestamp_ms: number;
  kind: string;
  payload: Record<string, unknown>;
}

const CHUNK = 400;
/** Above this many ids, audit lookups scan the kind once instead of once per chunk. */
const SCAN_THRESHOLD = 2000;

/** The memory record an `intent_dispatched` payload names: its memory_record_id, else its intent_id. */
const DISPATCHED_RECORD_ID = "coalesce(json_extract(payload, '$.memory_record_id'), json_extract(payload, '$.intent_id'))";

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

function placeholders(n: number): string {
  return new Array(n).fill('?').join(', ');
}

function parseObject(text: string): Record<string, unknown> {
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

interface RawMemory {
  id: string;
  tier: string;
  owner: string;
  metadata: string;
  created_at: number;
  parent: string | null;
  receipt_id: string | null;
}

/** A receipts row as receiptSelect() reads it: already a ReceiptRow. */
type RawReceipt = ReceiptRow;

function toMemory(row: RawMemory): MemoryRow {
  return { ...row, metadata: parseObject(row.metadata) };
}

export class StoreReader {
  constructor(readonly db: Db) {}

  private receiptSelect(): string {
    return 'SELECT id, payer, resource, status, settled_at, intent_id, memory_record_id FROM receipts';
  }

  private toReceipt(row: RawReceipt): ReceiptRow {
    return row;
  }

  hasTable(name: string): boolean {
    return this.db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
  }

  // ---- windows ------------------------------------------------------------------------------

  newestMemory(limit: number): MemoryRow[] {
    const rows = this.db
      .prepare(
        `SELECT id, tier, owner, metadata, created_at, parent, receipt_id FROM memory_records
         ORDER BY created_at DESC, rowid DESC LIMIT ?`,
      )
      .all(limit) as RawMemory[];
    return rows.map(toMemory);
  }

  newestReceipts(limit: number): ReceiptRow[] {
    const rows = this.db.prepare(`${this.receiptSelect()} ORDER BY settled_at DESC, rowid DESC LIMIT ?`).all(limit) as RawReceipt[];
    return rows.map((r) => this.toReceipt(r));
  }

  newestCapabilities(limit: number): CapabilityRow[] {
    return this.db
      .prepare(
        `SELECT id, action, subject_display, subject_pubkey, scope, expires_at, parent_id, issued_at FROM capabilities
         ORDER BY issued_at DESC, rowid DESC LIMIT ?`,
      )
      .all(limit) as CapabilityRow[];
  }

  newestAudit(limit: number): AuditRowLite[] {
    const rows = this.db
      .prepare('SELECT seq, id, timestamp_ms, kind, payload FROM audit_events ORDER BY seq DESC LIMIT ?')
      .all(limit) as Array<Omit<AuditRowLite, 'payload'> & { payload: string }>;
    return rows.map((r) => ({ ...r, payload: parseObject(r.payload) }));
  }

  // ---- lookups ------------------------------------------------------------------------------

  memoryByIds(ids: readonly string[]): Map<string, MemoryRow> {
    const found = new Map<string, MemoryRow>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = this.db
        .prepare(
          `SELECT id, tier, owner, metadata, created_at, parent, receipt_id FROM memory_records WHERE id IN (${placeholders(part.length)})`,
        )
        .all(...part) as RawMemory[];
      for (const row of rows) found.set(row.id, toMemory(row));
    }
    return found;
  }

  /** Records whose `receipt_id` is one of `receiptIds`, by receipt id → record id. */
  recordsByReceiptIds(receiptIds: readonly string[]): Map<string, string> {
    const found = new Map<string, string>();
    for (const part of chunks([...new Set(receiptIds)])) {
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
  childrenOf(ids: readonly string[]): Map<string, string[]> {
    const found = new Map<string, string[]>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = this.db
        .prepare(`SELECT id, parent FROM memory_records WHERE parent IN (${placeholders(part.length)}) ORDER BY created_at, id`)
        .all(...part) as Array<{ id: string; parent: string }>;
      for (const row of rows) found.set(row.parent, [...(found.get(row.parent) ?? []), row.id]);
    }
    return found;
  }

  receiptsByIds(ids: readonly string[]): Map<string, ReceiptRow> {
    const found = new Map<string, ReceiptRow>();
    for (const part of chunks([...new Set(ids)])) {
      const rows = this.db.prepare(`${this.receiptSelect()} WHERE id IN (${placeholders(part.length)})`).all(...part) as RawReceipt[];
      for (const row of rows) found.set(row.id, this.toReceipt(row));
    }
    return found;
  }

  /** Receipts of resource `memory` naming one of these records, by record id (oldest first). */
  memoryReceiptsFor(recordIds: readonly string[]): Map<string, ReceiptRow[]> {
    const found = new Map<string, ReceiptRow[]>();
    for (const part of chunks([...new Set(recordIds)])) {
      const rows = this.db
        .prepare(
          `${this.receiptSelect()} WHERE resource = 'memory' AND memory_record_id IN (${placeholders(part.length)})
           ORDER BY settled_at, id`,
        )
        .all(...part) as RawReceipt[];
      for (const row of rows) {
        const key = row.memory_record_id as string;
        found.set(key, [...(found.get(key) ?? []), this.toReceipt(row)]);
      }
    }
    return found;
  }

  /**
   * `intent_dispatched` rows naming these memory records (`memory_record_id`, or `intent_id`
   * when a row has no memory_record_id), by record id → the rows' seqs; only rows issued by
   * `issuerPubkey` when given.
   */
  dispatchedFor(recordIds: readonly string[], issuerPubkey?: string): Map<string, number[]> {
    const wanted = new Set(recordIds);
    if (issuerPubkey === undefined) return this.seqsByPayloadId('intent_dispatched', DISPATCHED_RECORD_ID, wanted);
    const found = new Map<string, number[]>();
    for (const id of wanted) {
      const rows = this.db
        .prepare(
          `SELECT seq FROM audit_events WHERE kind = 'intent_dispatched' AND issuer_pubkey = ? AND json_valid(payload)
           AND ${DISPATCHED_RECORD_ID} = ?`,
        )
        .all(issuerPubkey, id) as Array<{ seq: number }>;
      if (rows.length > 0) found.set(id, rows.map((r) => r.seq));
    }
    return found;
  }

  /** `capability_granted` rows naming these capabilities, by capability id → seqs. */
  grantedFor(capabilityIds: readonly string[]): Map<string, number[]> {
    return this.seqsByPayloadId('capability_granted', "json_extract(payload, '$.id')", new Set(capabilityIds));
  }

  /**
   * Seqs of the `kind` rows whose payload id (`idExpr`, an SQL expression over `payload`) is one
   * of `wanted`, by id. Many ids: one pass over the kind beats a pass per chunk.
   */
  private seqsByPayloadId(kind: 'intent_dispatched' | 'capability_granted', idExpr: string, wanted: ReadonlySet<string>): Map<string, number[]> {
    const found = new Map<string, number[]>();
    const add = (id: string, seq: number) => found.set(id, [...(found.get(id) ?? []), seq]);
    const select = `SELECT seq, ${idExpr} AS payload_id FROM audit_events WHERE kind = '${kind}' AND json_valid(payload)`;
    if (wanted.size > SCAN_THRESHOLD) {
      const rows = this.db.prepare(select).all() as Array<{ seq: number; payload_id: unknown }>;
      for (const row of rows) {
        if (typeof row.payload_id === 'string' && wanted.has(row.payload_id)) add(row.payload_id, row.seq);
      }
      return found;
    }
    for (const part of chunks([...wanted])) {
      const rows = this.db
        .prepare(`${select} AND ${idExpr} IN (${placeholders(part.length)})`)
        .all(...part) as Array<{ seq: number; payload_id: string }>;
      for (const row of rows) add(row.payload_id, row.seq);
    }
    return found;
  }

  auditRowsOfKinds(kinds: readonly string[]): AuditRowLite[] {
    if (kinds.length === 0) return [];
    const rows = this.db
      .prepare(`SELECT seq, id, timestamp_ms, kind, payload FROM audit_events WHERE kind IN (${placeholders(kinds.length)}) ORDER BY seq`)
      .all(...kinds) as Array<Omit<AuditRowLite, 'payload'> & { payload: string }>;
    return rows.map((r) => ({ ...r, payload: parseObject(r.payload) }));
  }

  /** The audit row at `seq`, and its stored neighbours' timestamps (for placing a chain failure in time). */
  auditNeighbourTimes(seq: number): { id: string | null; own: number | null; before: number | null; after: number | null } {
    const own = this.db.prepare('SELECT id, timestamp_ms FROM audit_events WHERE seq = ?').get(seq) as
      | { id: string; timestamp_ms: number }
      | undefined;
    const before = this.db.prepare('SELECT timestamp_ms FROM audit_events WHERE seq < ? ORDER BY seq DESC LIMIT 1').get(seq) as
      | { timestamp_ms: number }
      | undefined;
    const after = this.db.prepare('SELECT timestamp_ms FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1').get(seq) as
      | { timestamp_ms: number }
      | undefined;
    return {
      id: own?.id ?? null,
      own: own?.timestamp_ms ?? null,
      before: before?.timestamp_ms ?? null,
      after: after?.timestamp_ms ?? null,
    };
  }

  /**
   * The time before which audit rows may have been purged (`covenant audit purge` cuts a
   * prefix of the chain behind a signed checkpoint): the first remaining row's timestamp when
   * the log no longer starts at seq 1, else null (nothing was purged).
   */
  auditHorizon(): number | null {
    const first = this.db.prepare('SELECT seq, timestamp_ms FROM audit_events ORDER BY seq LIMIT 1').get() as
      | { seq: number; timestamp_ms: number }
      | undefined;
    if (first) return first.seq > 1 ? first.timestamp_ms : null;
    const cut = this.db.prepare('SELECT timestamp_ms FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as
      | { timestamp_ms: number }
      | undefined;
    return cut ? cut.timestamp_ms : null;
  }
}
