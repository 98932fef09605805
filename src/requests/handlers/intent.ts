import type { HandlerGroup } from './handler.js';

export const intentHandlers: HandlerGroup<'submit_intent'> = {
  submit_intent: async (params, { caller }, ctx) => {
    // The full Caller is the principal the pipeline's capability checks run against.
    const outcome = await ctx.intents.submit({ caller: caller.agentId, text: params.text, agent: params.agent, principal: caller });
    return { kind: 'intent_result', ...outcome };
  },
};
