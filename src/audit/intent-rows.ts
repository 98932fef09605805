import { statement, type Db } from '../store/index.js';
import { rowToEvent, type AuditEvent, type AuditRow } from './audit-log.js';

/** The audit kinds that settle (or pause) an intent: the newest one per intent is its status. */
export const INTENT_STATUS_KINDS = [
  'intent_dispatched',
  'intent_echoed',
  'intent_failed',
  'intent_ignored',
  'budget_exhausted',
  'budget_preempted',
  'intent_resume_deferred',
] as const;

const INTENT_ID = "json_extract(payload, '$.intent_id')";
const KIND_LIST = INTENT_STATUS_KINDS.map((kind) => `'${kind}'`).join(', ');

/**
 * Per intent, its newest status row (see INTENT_STATUS_KINDS), newest intent first, at most
 * `limit` of them. `visibleTo`: only intents submitted by this pubkey; null: all (the operator).
 * `kinds` narrows which status rows count (a status filter applied before the limit).
 */
export function latestIntentRows(db: Db, query: { limit: number; visibleTo: string | null; kinds?: readonly string[] }): AuditEvent[] {
  const visible = query.visibleTo === null ? '' : 'AND issuer_pubkey = ?';
  const wanted = query.kinds === undefined ? '' : `AND kind IN (${query.kinds.map(() => '?').join(', ')})`;
  const sql = `SELECT audit_events.* FROM audit_events JOIN (
      SELECT ${INTENT_ID} AS intent_id, MAX(seq) AS seq FROM audit_events
      WHERE kind IN (${KIND_LIST}) ${visible} GROUP BY ${INTENT_ID}
    ) AS latest ON latest.seq = audit_events.seq
    WHERE 1 = 1 ${wanted} ORDER BY audit_events.seq DESC LIMIT ?`;
  const args: Array<string | number> = [];
  if (query.visibleTo !== null) args.push(query.visibleTo);
  if (query.kinds !== undefined) args.push(...query.kinds);
  const rows = statement(db, sql).all(...args, query.limit) as AuditRow[];
  return rows.map(rowToEvent);
}

/** Every audit row naming this intent (its `intent_id`), oldest first, at most `limit`. */
export function intentAuditRows(db: Db, query: { intentId: string; limit: number; visibleTo: string | null }): AuditEvent[] {
  const visible = query.visibleTo === null ? '' : 'AND issuer_pubkey = ?';
  const sql = `SELECT * FROM audit_events WHERE ${INTENT_ID} = ? ${visible} ORDER BY seq ASC LIMIT ?`;
  const args: Array<string | number> = [query.intentId];
  if (query.visibleTo !== null) args.push(query.visibleTo);
  return (statement(db, sql).all(...args, query.limit) as AuditRow[]).map(rowToEvent);
}
