import { auditStream } from './audit-stream.js';
import type { EventStreamDefinition } from './definition.js';
import { intentEventsStream } from './intent-events.js';

/** The gateway's event streams. */
export const EVENT_STREAMS: readonly EventStreamDefinition[] = [auditStream, intentEventsStream];

export { auditStream } from './audit-stream.js';
export type { EventStreamDefinition, StreamEvent, StreamSink } from './definition.js';
export { StreamRegistry, mountEventStream } from './sse-route.js';
