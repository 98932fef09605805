import type { RequestId } from '../protocol/index.js';
import type { Caller } from './caller.js';

/** What one request carries besides its parameters: who asks, when to give up, and its id. */
export interface RequestScope {
  readonly caller: Caller;
  /** Aborted when the caller goes away (a closed socket, an aborted HTTP request) or the daemon stops. */
  readonly signal: AbortSignal;
  /** The client's `id`, echoed in the reply; null when it sent none. */
  readonly requestId: RequestId | null;
}
