import { BASE58_PREFIX, CovenantError } from '../../core/index.js';
import { MAX_AUDIT_KIND_FILTERS } from '../../protocol/index.js';
import { openAuditFeed, type AuditFeedFilter } from '../../requests/index.js';
import type { EventStreamDefinition } from './definition.js';

/** The stream's filters, as `audit_recent` has them: `kinds=a,b` (any of), `issuer=<pubkey prefix>`. */
function streamFilter(params: Record<string, string>): AuditFeedFilter {
  const kinds = (params.kinds ?? '').split(',').map((kind) => kind.trim()).filter((kind) => kind !== '');
  if (kinds.length > MAX_AUDIT_KIND_FILTERS || kinds.some((kind) => kind.length > 64)) {
    throw new CovenantError('E_BAD_REQUEST', `kinds takes at most ${MAX_AUDIT_KIND_FILTERS} audit kinds of at most 64 characters, comma-separated`);
  }
  const issuer = params.issuer === undefined || params.issuer === '' ? null : params.issuer;
  if (issuer !== null && !BASE58_PREFIX.test(issuer)) throw new CovenantError('E_BAD_REQUEST', 'issuer must be a base58 pubkey or pubkey prefix (1-64 characters)');
  return { kinds: kinds.length === 0 ? null : kinds, issuerPrefix: issuer };
}

/**
 * `GET /audit/stream[?kinds=a,b&issuer=prefix]`: each new audit row (that passes the filters) as
 * `event: audit`, `id: <seq>`, `data: <row JSON>` (the socket's `audit_follow` feed).
 */
export const auditStream: EventStreamDefinition = {
  name: 'audit_stream',
  summary:
    'Server-sent events: each new audit row the caller may see (`event: audit`, `id: <seq>`, `data: <row>`), optionally only `kinds=a,b` and `issuer=<pubkey prefix>`; needs audit.read.',
  path: '/audit/stream',
  authorize: () => ({ action: 'audit.read' }),
  open(ctx, caller, params, sink) {
    const filter = streamFilter(params);
    return openAuditFeed(ctx, caller, filter, { backlog: 0 }, (event) => sink.send({ event: 'audit', id: String(event.seq), data: event }));
  },
};
