import type { IntentListStatus } from '../protocol/index.js';
import type { Db } from '../store/index.js';
import { rowToEvent, type AuditEvent, type AuditRow } from './audit-log.js';

/**
 * Intents as the audit log records them (`covenant intents list|show`): an intent's status is
 * the kind of its newest outcome row. There is no intents table: every outcome already writes
 * exactly one of these rows in the transaction of the outcome, so the log is the one record
 * (a purged prefix of the log takes its intents out of the list; their receipts stay).
 */
export const INTENT_STATUS_OF_KIND = {
  intent_dispatched: 'ok',
  intent_failed: 'failed',
  intent_ignored: 'ignored',
  intent_unrouted: 'unrouted',
  intent_echoed: 'unrouted',
  budget_exhausted: 'paused',
  budget_preempted: 'paused',
  intent_resumed: 'running',
  intent_interrupted: 'failed',
} as const satisfies Record<string, IntentListStatus>;

/** Rows that name an intent without changing its status. */
const OTHER_INTENT_KINDS = ['intent_resume_deferred'];

const STATUS_KINDS = Object.keys(INTENT_STATUS_OF_KIND);
const INTENT_ID = "json_extract(payload, '$.intent_id')";

export interface IntentSummary {
  intent_id: string;
  status: IntentListStatus;
  agent: string | null;
  caller: { display: string; pubkey: string };
  first_ms: number;
  last_ms: number;
  credits: number;
  reason: string | null;
  message: string | null;
  refill_eta_ms: number | null;
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** What the row that set an intent's status says about it: credits charged, why it failed or paused. */
export function intentOutcome(
  kind: string,
  payload: Record<string, unknown>,
): Pick<IntentSummary, 'credits' | 'reason' | 'message' | 'refill_eta_ms'> {
  const base = { credits: typeof payload.credits === 'number' ? payload.credits : 0, reason: null, message: null, refill_eta_ms: null };
  switch (kind) {
    case 'intent_failed':
      return { ...base, reason: text(payload.reason), message: text(payload.message) };
    case 'intent_ignored':
      return { ...base, reason: 'ignored', message: `matched .covenantignore rule ${text(payload.matched_rule) ?? '(unknown)'}` };
    case 'intent_interrupted':
      return {
        ...base,
        reason: 'interrupted',
        message:
          payload.reason === 'run_refused'
            ? `the resumed run was refused before it began (${text(payload.code) ?? 'refused'}; nothing was charged); fix the cause and submit the intent again`
            : 'covenantd stopped during the resumed run (nothing was charged); submit the intent again',
      };
    case 'budget_exhausted':
    case 'budget_preempted':
      return { ...base, reason: kind, refill_eta_ms: typeof payload.refill_eta_ms === 'number' ? payload.refill_eta_ms : -1 };
    default:
      return base;
  }
}

function placeholders(values: readonly unknown[]): string {
  return values.map(() => '?').join(', ');
}

/** The newest intents (of `owner` when given; null: everyone's), optionally only those in `status`. */
export function listIntents(db: Db, query: { owner: string | null; status?: IntentListStatus | null; limit: number }): IntentSummary[] {
  const where = [`kind IN (${placeholders(STATUS_KINDS)})`, `${INTENT_ID} IS NOT NULL`];
  const args: Array<string | number> = [...STATUS_KINDS];
  if (query.owner !== null) {
    where.push('issuer_pubkey = ?');
    args.push(query.owner);
  }
  const statusKinds = query.status ? STATUS_KINDS.filter((k) => INTENT_STATUS_OF_KIND[k as keyof typeof INTENT_STATUS_OF_KIND] === query.status) : null;
  const sql = `SELECT * FROM (
      SELECT ${INTENT_ID} AS intent_id, kind, seq, issuer_display, issuer_pubkey, timestamp_ms AS last_ms,
        json_extract(payload, '$.agent') AS agent, payload,
        MIN(timestamp_ms) OVER (PARTITION BY ${INTENT_ID}) AS first_ms,
        ROW_NUMBER() OVER (PARTITION BY ${INTENT_ID} ORDER BY seq DESC) AS newest
      FROM audit_events WHERE ${where.join(' AND ')}
    ) WHERE newest = 1${statusKinds ? ` AND kind IN (${placeholders(statusKinds)})` : ''} ORDER BY seq DESC LIMIT ?`;
  const rows = db.prepare(sql).all(...args, ...(statusKinds ?? []), query.limit) as Array<{
    intent_id: string;
    kind: keyof typeof INTENT_STATUS_OF_KIND;
    issuer_display: string;
    issuer_pubkey: string;
    last_ms: number;
    first_ms: number;
    agent: string | null;
    payload: string;
  }>;
  return rows.map((row) => ({
    intent_id: row.intent_id,
    status: INTENT_STATUS_OF_KIND[row.kind],
    agent: typeof row.agent === 'string' ? row.agent : null,
    caller: { display: row.issuer_display, pubkey: row.issuer_pubkey },
    first_ms: row.first_ms,
    last_ms: row.last_ms,
    ...intentOutcome(row.kind, JSON.parse(row.payload) as Record<string, unknown>),
  }));
}

/** The intent ids starting with `prefix` (a whole id or at least 4 characters of one), at most two. */
export function intentIdsStartingWith(db: Db, prefix: string, owner: string | null): string[] {
  const args: Array<string> = [...STATUS_KINDS, `${prefix}*`];
  const sql = `SELECT DISTINCT ${INTENT_ID} AS intent_id FROM audit_events
    WHERE kind IN (${placeholders(STATUS_KINDS)}) AND ${INTENT_ID} GLOB ?${owner === null ? '' : ' AND issuer_pubkey = ?'} LIMIT 2`;
  if (owner !== null) args.push(owner);
  return (db.prepare(sql).all(...args) as Array<{ intent_id: string }>).map((row) => row.intent_id);
}

/** Every audit row about one intent (of `owner` when given), oldest first. */
export function intentAuditRows(db: Db, intentId: string, owner: string | null): AuditEvent[] {
  const kinds = [...STATUS_KINDS, ...OTHER_INTENT_KINDS];
  const sql = `SELECT * FROM audit_events WHERE kind IN (${placeholders(kinds)}) AND ${INTENT_ID} = ?${owner === null ? '' : ' AND issuer_pubkey = ?'} ORDER BY seq`;
  const rows = db.prepare(sql).all(...kinds, intentId, ...(owner === null ? [] : [owner])) as AuditRow[];
  return rows.map(rowToEvent);
}

/** The status an intent's rows give it (null: no outcome row yet). */
export function intentStatusOf(rows: readonly AuditEvent[]): IntentListStatus | null {
  for (const row of [...rows].reverse()) {
    if (Object.hasOwn(INTENT_STATUS_OF_KIND, row.kind)) return INTENT_STATUS_OF_KIND[row.kind as keyof typeof INTENT_STATUS_OF_KIND];
  }
  return null;
}
