/**
 * What the state verifier asks the audit log: which rows name a memory record or a capability,
 * the applied repairs, and where the log starts and what surrounds a row. Read-only.
 */
import { jsonObjectOrEmpty } from '../core/index.js';
import type { Db } from '../store/index.js';
import { dispatchedRecordId, readAuditPayload, type AuditPayload } from './events.js';

/** dispatchedRecordId as SQL over the stored payload (same rule, evaluated in the index scan). */
const DISPATCHED_RECORD_ID = "coalesce(json_extract(payload, '$.memory_record_id'), json_extract(payload, '$.intent_id'))";
const GRANTED_CAPABILITY_ID = "json_extract(payload, '$.id')";
const CHUNK = 400;
/** Above this many ids, one pass over the kind beats a pass per chunk. */
const SCAN_THRESHOLD = 2000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

export interface DispatchedRow {
  seq: number;
  timestamp_ms: number;
  /** The memory record the row names (see dispatchedRecordId); null when it names none. */
  record_id: string | null;
}

export class AuditLookups {
  constructor(private readonly db: Db) {}

  /** The `intent_dispatched` rows among the newest `window` rows of the log, newest first. */
  dispatchedInNewest(window: number): DispatchedRow[] {
    const rows = this.db
      .prepare("SELECT seq, timestamp_ms, kind, payload FROM (SELECT * FROM audit_events ORDER BY seq DESC LIMIT ?) WHERE kind = 'intent_dispatched' ORDER BY seq DESC")
      .all(window) as Array<{ seq: number; timestamp_ms: number; payload: string }>;
    return rows.map((row) => ({ seq: row.seq, timestamp_ms: row.timestamp_ms, record_id: dispatchedRecordId(jsonObjectOrEmpty(row.payload)) }));
  }

  /**
   * `intent_dispatched` rows naming these memory records, by record id → the rows' seqs; only
   * rows issued by `issuerPubkey` when given.
   */
  dispatchedFor(recordIds: readonly string[], issuerPubkey?: string): Map<string, number[]> {
    const wanted = new Set(recordIds);
    if (issuerPubkey === undefined) return this.seqsByPayloadId('intent_dispatched', DISPATCHED_RECORD_ID, wanted);
    const found = new Map<string, number[]>();
    const select = this.db.prepare(
      `SELECT seq FROM audit_events WHERE kind = 'intent_dispatched' AND issuer_pubkey = ? AND json_valid(payload) AND ${DISPATCHED_RECORD_ID} = ?`,
    );
    for (const id of wanted) {
      const rows = select.all(issuerPubkey, id) as Array<{ seq: number }>;
      if (rows.length > 0) found.set(id, rows.map((r) => r.seq));
    }
    return found;
  }

  /** `capability_granted` rows naming these capabilities, by capability id → seqs. */
  grantedFor(capabilityIds: readonly string[]): Map<string, number[]> {
    return this.seqsByPayloadId('capability_granted', GRANTED_CAPABILITY_ID, new Set(capabilityIds));
  }

  /** The payloads of every `memory_repair_applied` row, oldest first (rows off the catalogue's schema are left out). */
  appliedRepairs(): Array<AuditPayload<'memory_repair_applied'>> {
    const rows = this.db.prepare("SELECT payload FROM audit_events WHERE kind = 'memory_repair_applied' ORDER BY seq").all() as Array<{ payload: string }>;
    return rows.flatMap((row) => readAuditPayload('memory_repair_applied', jsonObjectOrEmpty(row.payload)) ?? []);
  }

  /** The row at `seq` and the timestamp of the row after it (for placing a chain failure in time). */
  neighbourTimes(seq: number): { id: string | null; own: number | null; after: number | null } {
    const own = this.db.prepare('SELECT id, timestamp_ms FROM audit_events WHERE seq = ?').get(seq) as { id: string; timestamp_ms: number } | undefined;
    const after = this.db.prepare('SELECT timestamp_ms FROM audit_events WHERE seq > ? ORDER BY seq LIMIT 1').get(seq) as { timestamp_ms: number } | undefined;
    return { id: own?.id ?? null, own: own?.timestamp_ms ?? null, after: after?.timestamp_ms ?? null };
  }

  /**
   * The time before which rows may have been purged (`audit purge` cuts a prefix of the chain
   * behind a signed checkpoint): the first remaining row's timestamp when the log no longer
   * starts at seq 1, else null (nothing was purged).
   */
  horizon(): number | null {
    const first = this.db.prepare('SELECT seq, timestamp_ms FROM audit_events ORDER BY seq LIMIT 1').get() as { seq: number; timestamp_ms: number } | undefined;
    if (first) return first.seq > 1 ? first.timestamp_ms : null;
    const cut = this.db.prepare('SELECT timestamp_ms FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as { timestamp_ms: number } | undefined;
    return cut ? cut.timestamp_ms : null;
  }

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
        .prepare(`${select} AND ${idExpr} IN (${new Array(part.length).fill('?').join(', ')})`)
        .all(...part) as Array<{ seq: number; payload_id: string }>;
      for (const row of rows) add(row.payload_id, row.seq);
    }
    return found;
  }
}
