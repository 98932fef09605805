import type { DaemonContext } from '../../requests/index.js';
import type { Caller } from '../../requests/index.js';
import type { Authorization } from '../../protocol/index.js';

/** One server-sent event. `data` is sent as JSON. */
export interface StreamEvent {
  event: string;
  id?: string;
  data: unknown;
}

export interface StreamSink {
  send(event: StreamEvent): void;
  /** Ends the stream (e.g. the intent finished). */
  close(): void;
}

/**
 * A server-sent event stream of the gateway (`GET` only). The gateway authenticates,
 * rate-limits, calls `authorize` through the daemon's authorizer, then `open`; it owns the
 * wire: framing, heartbeats, closing on client disconnect, on token revocation and on
 * shutdown. Adding a stream (e.g. `GET /intents/:id/events`) means adding one definition to
 * `EVENT_STREAMS`.
 */
export interface EventStreamDefinition {
  /** Used as the request kind in audit rows and refusals, e.g. `audit_stream`. */
  name: string;
  /** One line for docs/http-gateway.md and /openapi.json. */
  summary: string;
  /** A hono path; `:name` segments and query parameters (first value each) arrive in `params`. */
  path: string;
  authorize(params: Record<string, string>): Authorization;
  /**
   * Starts delivering events to `sink` and returns the function that stops delivery. May
   * throw a CovenantError (unknown intent: E_NOT_FOUND, ...) to refuse before any byte is sent.
   */
  open(ctx: DaemonContext, caller: Caller, params: Record<string, string>, sink: StreamSink): () => void;
}
