import { z } from 'zod';
import { defineRequest } from '../request-definition.js';
import { EMPTY_INTENT_MESSAGE, isBlankIntent } from '../../core/intent-text.js';

export const IntentStatusSchema = z.enum(['ok', 'ignored', 'failed', 'paused', 'unrouted']);

export const SettlementSummarySchema = z
  .strictObject({
    receipt_id: z.string(),
    resource: z.string(),
    status: z.string(),
    credits_consumed: z.number(),
    /** Tokens of the run's model host calls (the sum of their receipts' `tokens_used`); null when it made none. */
    tokens_used: z.number().int().nullable(),
  })
  .nullable();

export const IntentResultSchema = z.strictObject({
  kind: z.literal('intent_result'),
  intent_id: z.string(),
  status: IntentStatusSchema,
  agent: z.string().nullable(),
  text: z.string(),
  sources: z.array(z.string()),
  /**
   * Each source with where it came from (`submit_intent` only): the record's `metadata.source`
   * (an imported file's path, `memory_write`, `dispatch`), null when it is not one of the
   * caller's own records or names no source.
   */
  source_refs: z.array(z.strictObject({ id: z.string(), source: z.string().nullable() })).optional(),
  settlement: SettlementSummarySchema,
});

/** An intent's outcome as the dispatch pipeline returns it: the `intent_result` reply without its `kind`. */
export type IntentOutcome = Omit<z.infer<typeof IntentResultSchema>, 'kind'>;

export const submitIntent = defineRequest({
  kind: 'submit_intent',
  summary: 'Route an intent to an agent and run it through the dispatch pipeline (status "unrouted" when no installed agent matches).',
  params: z.object({
    text: z
      .string()
      .max(1_000_000)
      .refine((text) => !isBlankIntent(text), EMPTY_INTENT_MESSAGE),
    agent: z.string().min(1).max(64).optional(),
  }),
  response: IntentResultSchema,
  // With --agent the agent is a fact the capability's scope (`agents: [...]`) is checked against;
  // a caller whose intent.submit is limited to some agents must name one.
  authorize: (params) => (params.agent === undefined ? { action: 'intent.submit' } : { action: 'intent.submit', facts: { agent: params.agent } }),
  http: { method: 'POST', path: '/intent' },
  mutates: true,
});
