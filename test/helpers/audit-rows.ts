import type { Db } from '../../src/store/index.js';

export interface AuditRow {
  issuer_pubkey: string;
  payload: Record<string, unknown>;
}

/** The audit rows of `kind` in `db`, oldest first, payloads parsed. */
export function auditRows(db: Db, kind: string): AuditRow[] {
  const rows = db.prepare('SELECT issuer_pubkey, payload FROM audit_events WHERE kind = ? ORDER BY seq').all(kind) as Array<{
    issuer_pubkey: string;
    payload: string;
  }>;
  return rows.map((row) => ({ issuer_pubkey: row.issuer_pubkey, payload: JSON.parse(row.payload) as Record<string, unknown> }));
}

/** The parsed payloads of the audit rows of `kind` in `db`, oldest first. */
export function auditPayloads(db: Db, kind: string): Array<Record<string, unknown>> {
  return auditRows(db, kind).map((row) => row.payload);
}
