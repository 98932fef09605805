import type { Clock } from '../core/index.js';
import { MAX_FRAME_BYTES } from '../protocol/index.js';

export const DEFAULT_HTTP_HOST = '127.0.0.1';
export const DEFAULT_HTTP_PORT = 8421;
export const DEFAULT_RATE_PER_SECOND = 50;
export const DEFAULT_BURST = 100;
/** The same bound as an IPC frame: 8 MiB. */
export const MAX_BODY_BYTES = MAX_FRAME_BYTES;
/** An answer is bounded like a request and like an IPC reply frame: 8 MiB. */
export const MAX_RESPONSE_BYTES = MAX_FRAME_BYTES;
export const HEARTBEAT_MS = 15_000;
/** How long `close()` waits for requests in flight before cutting connections. */
export const CLOSE_GRACE_MS = 5_000;
/** At most one `rate_limited` row per key per this interval; held refusals are summed into the next. */
export const RATE_LIMIT_AUDIT_INTERVAL_MS = 1000;

export interface GatewayOptions {
  host: string;
  port: number;
  /** Origins allowed by CORS; empty means no cross-origin access at all. */
  origins: string[];
  ratePerSecond?: number;
  burst?: number;
  /** Clock for the rate limiter and audit throttle; defaults to the daemon's clock. */
  clock?: Clock;
  /** Interval of SSE heartbeat comments (tests shorten it). */
  heartbeatMs?: number;
  /** How long a blocking A2A SendMessage waits for the task to finish (default 30 s; COVENANT_A2A_SEND_WAIT_MS). */
  a2aSendWaitMs?: number;
}

export type AppOptions = Pick<GatewayOptions, 'origins' | 'ratePerSecond' | 'burst' | 'clock' | 'heartbeatMs' | 'a2aSendWaitMs'>;
