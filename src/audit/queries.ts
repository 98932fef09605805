import { BASE58_PREFIX } from '../core/index.js';
import { MAX_RECENT_AUDIT_LIMIT } from '../protocol/index.js';
import type { Db } from '../store/index.js';
import { rowToEvent, type AuditEvent, type AuditRow } from './audit-log.js';

export const DEFAULT_RECENT_AUDIT_LIMIT = 50;


export interface AuditQuery {
  /** 1..1000. */
  limit: number;
  /** Rows with timestamp_ms >= since_ms. */
  sinceMs?: number | null;
  /** Rows with seq > afterSeq, oldest first (a follower's cursor); without it, newest first. */
  afterSeq?: number | null;
  /** Rows whose kind is one of these (empty or absent: any kind). */
  kinds?: readonly string[] | null;
  /** Rows whose issuer pubkey starts with this base58 prefix (a whole pubkey matches itself). */
  issuerPrefix?: string | null;
  /** Visibility: only rows issued by this pubkey; null means every row (the operator). */
  visibleTo: string | null;
}

/**
 * Reads audit rows for `audit_recent`. Newest first, or oldest first after a cursor. Filters
 * combine with AND; the visibility rule is applied on top of them, never instead of them.
 */
export function queryAuditEvents(db: Db, query: AuditQuery): AuditEvent[] {
  if (!Number.isSafeInteger(query.limit) || query.limit < 1 || query.limit > MAX_RECENT_AUDIT_LIMIT) {
    throw new RangeError(`audit query limit must be 1..${MAX_RECENT_AUDIT_LIMIT}`);
  }
  const where: string[] = [];
  const args: Array<string | number> = [];
  if (query.visibleTo !== null) {
    where.push('issuer_pubkey = ?');
    args.push(query.visibleTo);
  }
  if (query.sinceMs !== undefined && query.sinceMs !== null) {
    where.push('timestamp_ms >= ?');
    args.push(query.sinceMs);
  }
  const ascending = query.afterSeq !== undefined && query.afterSeq !== null;
  if (ascending) {
    where.push('seq > ?');
    args.push(query.afterSeq as number);
  }
  if (query.kinds && query.kinds.length > 0) {
    where.push(`kind IN (${query.kinds.map(() => '?').join(', ')})`);
    args.push(...query.kinds);
  }
  if (query.issuerPrefix !== undefined && query.issuerPrefix !== null) {
    if (!BASE58_PREFIX.test(query.issuerPrefix)) throw new RangeError('issuer filter must be a base58 pubkey or pubkey prefix');
    // GLOB is case-sensitive (base58 is) and the base58 alphabet holds no GLOB metacharacters.
    where.push('issuer_pubkey GLOB ?');
    args.push(`${query.issuerPrefix}*`);
  }
  const sql = `SELECT * FROM audit_events${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${ascending ? 'ASC' : 'DESC'} LIMIT ?`;
  const rows = db.prepare(sql).all(...args, query.limit) as AuditRow[];
  return rows.map(rowToEvent);
}
