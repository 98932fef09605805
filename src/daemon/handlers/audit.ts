import { verifyAuditChain } from '../../audit/index.js';
import type { HandlerGroup } from './handler.js';

export const auditHandlers: HandlerGroup<'audit_verify' | 'audit_checkpoint'> = {
  audit_verify: (_params, _caller, ctx) => ({
    kind: 'audit_integrity',
    report: verifyAuditChain(ctx.db, ctx.identity.agentId.pubkey),
  }),
  audit_checkpoint: (_params, caller, ctx) => {
    const checkpoint = ctx.audit.checkpoint();
    if (checkpoint) ctx.audit.append(caller.agentId, 'audit_checkpoint_signed', { seq: checkpoint.seq });
    return { kind: 'audit_checkpoint', checkpoint };
  },
};
