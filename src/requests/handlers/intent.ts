import { MemoryLookups } from '../../memory/index.js';
import type { HandlerGroup } from './handler.js';

export const intentHandlers: HandlerGroup<'submit_intent'> = {
  submit_intent: async (params, { caller }, ctx) => {
    const outcome = await ctx.intents.submit({ principal: caller, text: params.text, agent: params.agent });
    if (outcome.sources.length === 0) return { kind: 'intent_result', ...outcome };
    // Where each source came from, for the caller's own records only (another's metadata stays hidden).
    const records = new MemoryLookups(ctx.db).byIds(outcome.sources);
    const source_refs = outcome.sources.map((id) => {
      const record = records.get(id);
      const source = record?.owner === caller.agentId.pubkey ? record.metadata.source : undefined;
      return { id, source: typeof source === 'string' ? source : null };
    });
    return { kind: 'intent_result', ...outcome, source_refs };
  },
};
