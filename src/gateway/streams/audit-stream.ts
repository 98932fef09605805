import type { AuditEvent } from '../../audit/index.js';
import { visibleOwner, type Caller } from '../../requests/index.js';
import type { EventStreamDefinition } from './definition.js';

/** SPEC 6: the operator sees every row; anyone else only the rows they issued. */
export function auditRowVisibleTo(caller: Caller, event: AuditEvent): boolean {
  const owner = visibleOwner(caller);
  return owner === null || event.issuer.pubkey === owner;
}

/** `GET /audit/stream`: each new audit row as `event: audit`, `id: <seq>`, `data: <row JSON>`. */
export const auditStream: EventStreamDefinition = {
  name: 'audit_stream',
  summary: 'Server-sent events: each new audit row the caller may see (`event: audit`, `id: <seq>`, `data: <row>`); needs audit.read.',
  path: '/audit/stream',
  authorize: () => ({ action: 'audit.read' }),
  open(ctx, caller, _params, sink) {
    return ctx.audit.subscribe((event) => {
      if (auditRowVisibleTo(caller, event)) sink.send({ event: 'audit', id: String(event.seq), data: event });
    });
  },
};
