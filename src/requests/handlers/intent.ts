import type { HandlerGroup } from './handler.js';

export const intentHandlers: HandlerGroup<'submit_intent'> = {
  submit_intent: async (params, { caller }, ctx) => {
    const outcome = await ctx.intents.submit({ principal: caller, text: params.text, agent: params.agent });
    return { kind: 'intent_result', ...outcome };
  },
};
