import { AsyncLocalStorage } from 'node:async_hooks';
import type { AgentId } from '../identity/index.js';
import type { TransactionPoint } from '../store/index.js';
import type { NewAuditEvent } from './events.js';

/**
 * The audit rows a request has produced but not yet written (its `capability_check` rows):
 * they are written in the transaction of the request's own change, just before that change's
 * first row, or alone when the request ends without one (a read, a refusal). So a request
 * commits once, and a crash between its check and its change leaves neither.
 */
export interface DeferredRow {
  issuer: AgentId;
  event: NewAuditEvent;
  /**
   * The id it was written under and where the connection stood then; kept until the request
   * ends, which rewrites it if its transaction rolled back.
   */
  written: { id: string; at: TransactionPoint | null } | null;
}

export class RequestRows {
  readonly rows: DeferredRow[] = [];
  /** Ended: rows produced later (by work the request left behind) are written at once. */
  ended = false;
}

const current = new AsyncLocalStorage<RequestRows>();

/**
 * Scopes entered and not yet settled. On Node 20 an enabled AsyncLocalStorage installs promise
 * hooks: every promise of the process then calls into JavaScript three times. So the storage is
 * disabled whenever no scope is open, and `run()` enables it again for the next one. What a
 * request left behind and runs after that (a timer, a late promise) finds either no store or its
 * request's rows, which are ended by then: both read as "no request" (`currentRequestRows`).
 */
let open = 0;

/** Runs one request with its own deferred rows; they are ended when `run` settles. */
export async function runWithRequestRows<T>(rows: RequestRows, run: () => Promise<T>): Promise<T> {
  open += 1;
  try {
    return await current.run(rows, run);
  } finally {
    rows.ended = true;
    open -= 1;
    if (open === 0) current.disable();
  }
}

/** The rows of the request being served, or null (start-up, timers, a request that has ended). */
export function currentRequestRows(): RequestRows | null {
  const rows = current.getStore();
  return rows === undefined || rows.ended ? null : rows;
}

/** Work started on behalf of nobody in particular (a warm process, a timer): no request's rows. */
export function outsideRequest<T>(run: () => T): T {
  // With no scope open the storage is disabled; exit() would enable it again on its way out.
  return open === 0 ? run() : current.exit(run);
}
