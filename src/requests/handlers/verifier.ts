import { memoryRepair, verifyState } from '../../verifier/index.js';
import type { HandlerGroup } from './handler.js';
import { visibleOwner } from '../caller.js';
import { capabilityId, memoryRecordId, receiptId } from '../id-prefixes.js';

export const verifierHandlers: HandlerGroup<'verify' | 'memory_repair'> = {
  verify: (params, _scope, ctx) => verifyState({ db: ctx.db, daemonPubkeyB58: ctx.identity.agentId.pubkey }, { window: params.window }),
  memory_repair: (params, { caller }, ctx) => {
    // A unique prefix names a memory record; else, for delete a memory receipt, for backfill-audit a capability.
    const record = memoryRecordId(ctx, visibleOwner(caller), params.target_id);
    const other = { delete: receiptId, 'backfill-audit': capabilityId }[params.action as string];
    const id = record === params.target_id && other ? other(ctx, caller, record) : record;
    return memoryRepair(
      { db: ctx.db, audit: ctx.audit, clock: ctx.clock },
      { caller: caller.agentId, callerIsOperator: caller.role === 'operator', action: params.action, id, reason: params.reason, apply: params.apply === true },
    );
  },
};
