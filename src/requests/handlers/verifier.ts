import { memoryRepair, verifyState } from '../../verifier/index.js';
import type { HandlerGroup } from './handler.js';

export const verifierHandlers: HandlerGroup<'verify' | 'memory_repair'> = {
  verify: (params, _scope, ctx) => verifyState({ db: ctx.db, daemonPubkeyB58: ctx.identity.agentId.pubkey }, { window: params.window }),
  memory_repair: (params, { caller }, ctx) =>
    memoryRepair(
      { db: ctx.db, audit: ctx.audit, clock: ctx.clock },
      { caller: caller.agentId, callerIsOperator: caller.role === 'operator', action: params.action, id: params.target_id, reason: params.reason, apply: params.apply === true },
    ),
};
