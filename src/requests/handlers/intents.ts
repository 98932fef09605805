import { intentAuditRows, intentIdsStartingWith, intentOutcome, intentStatusOf, listIntents, type IntentSummary } from '../../audit/index.js';
import { CovenantError } from '../../core/index.js';
import { visibleOwner } from '../caller.js';
import type { DaemonContext } from '../context.js';
import type { HandlerGroup } from './handler.js';

/** A paused intent's refill ETA as of now, from its agent's budget (its row's ETA is as of the pause). */
function currentEta(ctx: DaemonContext, intent: IntentSummary): IntentSummary {
  if (intent.refill_eta_ms === null || intent.agent === null) return intent;
  return { ...intent, refill_eta_ms: ctx.budget.status(intent.agent)[0]?.refill_eta_ms ?? intent.refill_eta_ms };
}

export const intentsHandlers: HandlerGroup<'intents_list' | 'intents_show'> = {
  // Callers see the intents they submitted; the operator sees every intent.
  intents_list: (params, { caller }, ctx) => ({
    kind: 'intents_list',
    status: params.status ?? null,
    limit: params.limit,
    intents: listIntents(ctx.db, { owner: visibleOwner(caller), status: params.status ?? null, limit: params.limit }).map((intent) => currentEta(ctx, intent)),
  }),
  intents_show: (params, { caller }, ctx) => {
    const owner = visibleOwner(caller);
    const matches = intentIdsStartingWith(ctx.db, params.intent_id, owner);
    if (matches.length === 0) {
      throw new CovenantError('E_NOT_FOUND', `no intent of yours starts with ${params.intent_id}; list them with \`covenant intents list\``);
    }
    if (matches.length > 1) throw new CovenantError('E_BAD_REQUEST', `several intents start with ${params.intent_id}; give more of the id`);
    const intentId = matches[0]!;
    const events = intentAuditRows(ctx.db, intentId, owner);
    const outcomes = events.filter((e) => intentStatusOf([e]) !== null);
    const newest = outcomes.at(-1)!;
    const agent = [...events].reverse().map((e) => e.payload.agent).find((a) => typeof a === 'string');
    const checkpoint = ctx.budget.store.checkpoint(intentId);
    return {
      kind: 'intent_detail',
      intent: currentEta(ctx, {
        intent_id: intentId,
        status: intentStatusOf(events)!,
        agent: typeof agent === 'string' ? agent : null,
        caller: newest.issuer,
        first_ms: outcomes[0]!.timestamp_ms,
        last_ms: newest.timestamp_ms,
        ...intentOutcome(newest.kind, newest.payload),
      }),
      events,
      receipts: ctx.settlement.recent({ limit: 1000, intentId, visibleTo: owner }),
      // The checkpoint holds the intent's text for a resume; it is not shown (the audit rows carry its hash).
      checkpoint:
        checkpoint === null
          ? null
          : {
              reason: checkpoint.reason,
              requested: checkpoint.requested,
              remaining: checkpoint.remaining,
              refill_eta_ms: checkpoint.refill_eta_ms,
              created_at: checkpoint.created_at,
              claimed_at: checkpoint.claimed_at,
            },
    };
  },
};
