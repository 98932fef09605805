import { DEFAULT_RECENT_AUDIT_LIMIT, purgeAudit, queryAuditEvents, verifyAuditChain } from '../../audit/index.js';
import { resolvePurgeCutoff } from '../../protocol/index.js';
import type { HandlerGroup } from './handler.js';
import { visibleOwner } from '../caller.js';

export const auditHandlers: HandlerGroup<'audit_verify' | 'audit_checkpoint' | 'audit_recent' | 'audit_purge'> = {
  audit_verify: (_params, _scope, ctx) => ({
    kind: 'audit_integrity',
    report: verifyAuditChain(ctx.db, ctx.identity.agentId.pubkey),
  }),
  audit_checkpoint: (_params, { caller }, ctx) => {
    const checkpoint = ctx.audit.checkpoint();
    if (checkpoint) ctx.audit.append(caller.agentId, { kind: 'audit_checkpoint_signed', payload: { seq: checkpoint.seq } });
    return { kind: 'audit_checkpoint', checkpoint };
  },
  audit_recent: (params, { caller }, ctx) => {
    const limit = params.limit ?? DEFAULT_RECENT_AUDIT_LIMIT;
    const filters = {
      since_ms: params.since_ms ?? null,
      after_seq: params.after_seq ?? null,
      kinds: params.kinds && params.kinds.length > 0 ? params.kinds : null,
      issuer: params.issuer ?? null,
    };
    const events = queryAuditEvents(ctx.db, {
      limit,
      sinceMs: filters.since_ms,
      afterSeq: filters.after_seq,
      kinds: filters.kinds,
      issuerPrefix: filters.issuer,
      // Callers see the rows they issued; the operator sees every row.
      visibleTo: visibleOwner(caller),
    });
    return { kind: 'audit_recent', limit, filters, events };
  },
  audit_purge: (params, { caller }, ctx) => {
    const result = purgeAudit(
      { db: ctx.db, audit: ctx.audit, daemonPubkeyB58: ctx.identity.agentId.pubkey, clock: ctx.clock },
      { caller: caller.agentId, beforeMs: resolvePurgeCutoff(params, ctx.clock.now()) },
    );
    return {
      kind: 'audit_purged',
      before_ms: result.before_ms,
      purged: result.purged,
      cut_seq: result.cut_seq,
      cut_chain_hash: result.cut_chain_hash,
    };
  },
};
