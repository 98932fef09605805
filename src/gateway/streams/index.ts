import { auditStream } from './audit-stream.js';
import type { EventStreamDefinition } from './definition.js';

/** The gateway's event streams. `GET /intents/:id/events` joins this list when intents emit events. */
export const EVENT_STREAMS: readonly EventStreamDefinition[] = [auditStream];

export { auditStream } from './audit-stream.js';
export type { EventStreamDefinition, StreamEvent, StreamSink } from './definition.js';
export { StreamRegistry, mountEventStream } from './sse-route.js';
