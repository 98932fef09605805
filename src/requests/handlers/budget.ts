import { CovenantError, quoteInput } from '../../core/index.js';
import type { HandlerGroup } from './handler.js';
import { pausedIntentId } from '../id-prefixes.js';

export const budgetHandlers: HandlerGroup<'budget_status' | 'budget_topup' | 'budget_set' | 'intents_resume'> = {
  budget_status: (params, _scope, ctx) => ({
    kind: 'budget_status',
    budgets: ctx.budget.status(params.agent),
    paused_without_budget: ctx.budget.pausedWithoutBudget(params.agent),
  }),
  budget_topup: (params, { caller }, ctx) => {
    const result = ctx.budget.topup(caller.agentId, params.agent, params.credits);
    return { kind: 'budget_topped_up', agent: result.agent, balance: result.balance };
  },
  budget_set: (params, { caller }, ctx) => {
    // A typo must not create a budget for nothing: the agent is installed, or already has one.
    if (!ctx.runtime.agents.get(params.agent) && !ctx.budget.store.bucket(params.agent)) {
      throw new CovenantError('E_NOT_FOUND', `no installed agent ${quoteInput(params.agent)}; see \`covenant agents list\``);
    }
    const result = ctx.budget.set(caller.agentId, params.agent, params.credits_per_hour);
    return { kind: 'budget_set', agent: result.agent, credits_per_hour: result.credits_per_hour, previous: result.previous };
  },
  intents_resume: async (params, { caller }, ctx) => {
    // The full pipeline again (ignore gate, capabilities, budget, run, settle) under the
    // paused intent's own id and agent; the checkpoint owner (request.caller) is the caller.
    const ref = params.intent_id === 'latest' ? 'latest' : pausedIntentId(ctx, caller, params.intent_id);
    const result = await ctx.budget.resume(caller.agentId, ref, (request) =>
      ctx.intents.submit({ principal: caller, text: request.text, agent: request.agent, intentId: request.intentId }),
    );
    return { kind: 'intents_resume', ...result };
  },
};
