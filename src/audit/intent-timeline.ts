import { statement, type Db } from '../store/index.js';
import { rowToEvent, type AuditEvent, type AuditRow } from './audit-log.js';

/**
 * Every audit row naming this intent (its `intent_id`, whatever the kind), oldest first, at most
 * `limit`: the console's timeline. `visibleTo`: only rows this pubkey issued; null: all (the operator).
 * (`intentAuditRows` of intent-history.ts holds only the rows that set or defer its status.)
 */
export function intentTimelineRows(db: Db, query: { intentId: string; limit: number; visibleTo: string | null }): AuditEvent[] {
  const visible = query.visibleTo === null ? '' : 'AND issuer_pubkey = ?';
  const sql = `SELECT * FROM audit_events WHERE json_extract(payload, '$.intent_id') = ? ${visible} ORDER BY seq ASC LIMIT ?`;
  const args: Array<string | number> = [query.intentId];
  if (query.visibleTo !== null) args.push(query.visibleTo);
  return (statement(db, sql).all(...args, query.limit) as AuditRow[]).map(rowToEvent);
}
