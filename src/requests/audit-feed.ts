import { queryAuditEvents, type AuditEvent } from '../audit/index.js';
import { MAX_RECENT_AUDIT_LIMIT } from '../protocol/index.js';
import { statement } from '../store/index.js';
import { visibleOwner, type Caller } from './caller.js';
import type { DaemonContext } from './context.js';

/** Which rows a follower gets: the visibility rule (SPEC 6) and the `audit recent` filters. */
export interface AuditFeedFilter {
  kinds?: readonly string[] | null;
  issuerPrefix?: string | null;
  sinceMs?: number | null;
}

/**
 * Where a feed starts: after a row already seen (a reconnecting follower), or with the newest
 * `backlog` rows. `onStart` hears the newest seq in the log before any row is delivered.
 */
export type AuditFeedStart = ({ afterSeq: number } | { backlog: number }) & { onStart?: (headSeq: number) => void };

/** SPEC 6: the operator sees every row; anyone else only the rows they issued. */
export function auditRowVisibleTo(caller: Caller, event: AuditEvent): boolean {
  const owner = visibleOwner(caller);
  return owner === null || event.issuer.pubkey === owner;
}

function matches(filter: AuditFeedFilter, event: AuditEvent): boolean {
  if (filter.kinds && filter.kinds.length > 0 && !filter.kinds.includes(event.kind)) return false;
  if (filter.issuerPrefix && !event.issuer.pubkey.startsWith(filter.issuerPrefix)) return false;
  return filter.sinceMs === undefined || filter.sinceMs === null || event.timestamp_ms >= filter.sinceMs;
}

/**
 * The one audit subscription of every transport (the socket's `audit_follow`, the gateway's
 * `GET /audit/stream`): each row the caller may see and the filter admits, once and in seq
 * order, pushed as `AuditLog` commits it, whoever appended it. It listens first, then reads
 * what the database already holds (the rows after `afterSeq`, or the newest `backlog`), so no
 * row falls between the two; a row heard twice is dropped by its seq. Returns the function
 * that stops it.
 */
export function openAuditFeed(
  ctx: Pick<DaemonContext, 'audit' | 'db'>,
  caller: Caller,
  filter: AuditFeedFilter,
  start: AuditFeedStart,
  deliver: (event: AuditEvent) => void,
): () => void {
  let lastSeq = Number.POSITIVE_INFINITY; // nothing live is delivered before the read below
  let stopped = false;
  const admits = (event: AuditEvent) => auditRowVisibleTo(caller, event) && matches(filter, event);
  const unsubscribe = ctx.audit.subscribe((event) => {
    if (stopped || event.seq <= lastSeq || !admits(event)) return;
    lastSeq = event.seq;
    deliver(event);
  });
  const query = { kinds: filter.kinds ?? null, issuerPrefix: filter.issuerPrefix ?? null, sinceMs: filter.sinceMs ?? null, visibleTo: visibleOwner(caller) };
  const newest = (statement(ctx.db, 'SELECT max(seq) AS seq FROM audit_events').get() as { seq: number | null }).seq ?? 0;
  start.onStart?.(newest);
  if ('afterSeq' in start) {
    // Everything since the follower's cursor, page by page (rows appended meanwhile come live).
    for (let cursor = start.afterSeq; !stopped && cursor < newest; ) {
      const page = queryAuditEvents(ctx.db, { ...query, afterSeq: cursor, limit: MAX_RECENT_AUDIT_LIMIT }).filter((e) => e.seq <= newest);
      for (const event of page) if (!stopped) deliver(event);
      cursor = page.length === 0 ? newest : page.at(-1)!.seq;
    }
  } else if (start.backlog > 0) {
    for (const event of queryAuditEvents(ctx.db, { ...query, limit: start.backlog }).reverse()) if (!stopped) deliver(event);
  }
  lastSeq = newest;
  return () => {
    stopped = true;
    unsubscribe();
  };
}
