import { AsyncLocalStorage } from 'node:async_hooks';
import type { AgentId } from '../identity/index.js';
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
  /** The id it was written under; kept until the request ends, which rewrites it if its transaction rolled back. */
  writtenId: string | null;
}

export class RequestRows {
  readonly rows: DeferredRow[] = [];
  /** Ended: rows produced later (by work the request left behind) are written at once. */
  ended = false;
}

const current = new AsyncLocalStorage<RequestRows>();

/** Runs one request with its own deferred rows. */
export function runWithRequestRows<T>(rows: RequestRows, run: () => Promise<T>): Promise<T> {
  return current.run(rows, run);
}

/** The rows of the request being served, or null (start-up, timers, a request that has ended). */
export function currentRequestRows(): RequestRows | null {
  const rows = current.getStore();
  return rows === undefined || rows.ended ? null : rows;
}

/** Work started on behalf of nobody in particular (a warm process, a timer): no request's rows. */
export function outsideRequest<T>(run: () => T): T {
  return current.exit(run);
}
