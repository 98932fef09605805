import { openAuditFeed } from '../../requests/index.js';
import type { EventStreamDefinition } from './definition.js';

/** `GET /audit/stream`: each new audit row as `event: audit`, `id: <seq>`, `data: <row JSON>` (the socket's `audit_follow` feed). */
export const auditStream: EventStreamDefinition = {
  name: 'audit_stream',
  summary: 'Server-sent events: each new audit row the caller may see (`event: audit`, `id: <seq>`, `data: <row>`); needs audit.read.',
  path: '/audit/stream',
  authorize: () => ({ action: 'audit.read' }),
  open(ctx, caller, _params, sink) {
    return openAuditFeed(ctx, caller, {}, { backlog: 0 }, (event) => sink.send({ event: 'audit', id: String(event.seq), data: event }));
  },
};
