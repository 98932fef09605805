import { resolveIdPrefix } from '../core/index.js';
import { idsWithPrefix, type PrefixQuery } from '../store/index.js';
import { visibleOwner, type Caller } from './caller.js';
import type { DaemonContext } from './context.js';

/**
 * Requests that take an id take any unique prefix of it (issue 10 item 10), resolved here so
 * that the socket, HTTP and the CLI agree. A prefix only ever matches rows the caller may see:
 * an ambiguity refusal lists ids, and must not list another peer's.
 */
function resolve(ctx: DaemonContext, given: string, noun: string, query: PrefixQuery): string {
  return resolveIdPrefix(given, noun, (prefix, limit) => idsWithPrefix(ctx.db, query, prefix, limit));
}

function ownedBy(columns: string[], owner: string | null): Pick<PrefixQuery, 'visible'> {
  return owner === null ? {} : { visible: { sql: columns.map((c) => `${c} = ?`).join(' OR '), args: columns.map(() => owner) } };
}

/** A capability the caller holds or granted (the operator: any). */
export function capabilityId(ctx: DaemonContext, caller: Caller, given: string): string {
  return resolve(ctx, given, 'capability', {
    table: 'capabilities',
    column: 'id',
    label: "action || ' to ' || subject_display",
    ...ownedBy(['subject_pubkey', 'granted_by_pubkey'], visibleOwner(caller)),
  });
}

/** A receipt the caller paid (the operator: any). */
export function receiptId(ctx: DaemonContext, caller: Caller, given: string): string {
  return resolve(ctx, given, 'receipt', {
    table: 'receipts',
    column: 'id',
    label: "resource || ' ' || status || ', ' || credits_consumed || ' credit(s)'",
    ...ownedBy(['payer'], visibleOwner(caller)),
  });
}

/** A memory record owned by `owner` (null: any, for the operator). */
export function memoryRecordId(ctx: DaemonContext, owner: string | null, given: string): string {
  return resolve(ctx, given, 'memory record', {
    table: 'memory_records',
    column: 'id',
    label: "tier || ' record, ' || length(text) || ' characters'",
    ...ownedBy(['owner'], owner),
  });
}

/** An intent that has receipts the caller paid (the operator: any). */
export function receiptIntentId(ctx: DaemonContext, caller: Caller, given: string): string {
  return resolve(ctx, given, 'intent', {
    table: 'receipts',
    column: 'intent_id',
    label: "count(*) || ' receipt(s)'",
    grouped: true,
    ...ownedBy(['payer'], visibleOwner(caller)),
  });
}

/** One of the caller's own paused intents (a paused intent is resumed by its owner only). */
export function pausedIntentId(ctx: DaemonContext, caller: Caller, given: string): string {
  return resolve(ctx, given, 'paused intent', {
    table: 'budget_checkpoints',
    column: 'intent_id',
    label: "'agent ' || agent_id",
    ...ownedBy(['caller_pubkey'], caller.agentId.pubkey),
  });
}
