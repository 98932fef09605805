import type { AuditEvent } from '../../audit/index.js';
import { BASE58_PREFIX, CovenantError } from '../../core/index.js';
import { MAX_AUDIT_KIND_FILTERS } from '../../protocol/index.js';
import { visibleOwner, type Caller } from '../../requests/index.js';
import type { EventStreamDefinition } from './definition.js';

/** SPEC 6: the operator sees every row; anyone else only the rows they issued. */
export function auditRowVisibleTo(caller: Caller, event: AuditEvent): boolean {
  const owner = visibleOwner(caller);
  return owner === null || event.issuer.pubkey === owner;
}

/** The stream's filters, as `audit_recent` has them: `kinds=a,b` (any of), `issuer=<pubkey prefix>`. */
function streamFilter(params: Record<string, string>): (event: AuditEvent) => boolean {
  const kinds = (params.kinds ?? '').split(',').map((kind) => kind.trim()).filter((kind) => kind !== '');
  if (kinds.length > MAX_AUDIT_KIND_FILTERS || kinds.some((kind) => kind.length > 64)) {
    throw new CovenantError('E_BAD_REQUEST', `kinds takes at most ${MAX_AUDIT_KIND_FILTERS} audit kinds of at most 64 characters, comma-separated`);
  }
  const issuer = params.issuer === undefined || params.issuer === '' ? null : params.issuer;
  if (issuer !== null && !BASE58_PREFIX.test(issuer)) throw new CovenantError('E_BAD_REQUEST', 'issuer must be a base58 pubkey or pubkey prefix (1-64 characters)');
  return (event) => (kinds.length === 0 || kinds.includes(event.kind)) && (issuer === null || event.issuer.pubkey.startsWith(issuer));
}

/**
 * `GET /audit/stream[?kinds=a,b&issuer=prefix]`: each new audit row (that passes the filters)
 * as `event: audit`, `id: <seq>`, `data: <row JSON>`.
 */
export const auditStream: EventStreamDefinition = {
  name: 'audit_stream',
  path: '/audit/stream',
  authorize: () => ({ action: 'audit.read' }),
  open(ctx, caller, params, sink) {
    const wanted = streamFilter(params);
    return ctx.audit.subscribe((event) => {
      if (auditRowVisibleTo(caller, event) && wanted(event)) sink.send({ event: 'audit', id: String(event.seq), data: event });
    });
  },
};
