import { z } from 'zod';
import { AgentIdViewSchema } from '../agent-id.js';
import { ReceiptViewSchema } from '../receipts.js';
import { defineRequest } from '../request-definition.js';
import { AuditEventSchema } from './audit.js';
import { IntentStatusSchema } from './intent.js';

/** An intent's status in the list: an outcome's, or `running` (resumed, its run not settled yet). */
export const IntentListStatusSchema = z.enum([...IntentStatusSchema.options, 'running']);
export type IntentListStatus = z.infer<typeof IntentListStatusSchema>;

const IntentSummarySchema = z.strictObject({
  intent_id: z.string(),
  status: IntentListStatusSchema,
  agent: z.string().nullable(),
  caller: AgentIdViewSchema,
  first_ms: z.number().int(),
  last_ms: z.number().int(),
  /** Compute credits the row that set its status charged (0 when it never ran). */
  credits: z.number(),
  /** Why it failed or paused (`intent_failed.reason`, `budget_exhausted`, ...); null otherwise. */
  reason: z.string().nullable(),
  message: z.string().nullable(),
  /** Paused intents: ms until the agent's budget holds the credit a run needs, as of the reply (-1: never); null otherwise. */
  refill_eta_ms: z.number().int().nullable(),
});

export const intentsList = defineRequest({
  kind: 'intents_list',
  summary: 'Your intents, newest first, with their status (the operator sees everyone\'s); status filters by it.',
  params: z.object({
    status: IntentListStatusSchema.optional(),
    limit: z.coerce.number().int().min(1).max(1000).default(20),
  }),
  response: z.strictObject({
    kind: z.literal('intents_list'),
    status: IntentListStatusSchema.nullable(),
    limit: z.number().int(),
    intents: z.array(IntentSummarySchema),
  }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/intents/list' },
  mutates: false,
});

export const intentsShow = defineRequest({
  kind: 'intents_show',
  summary: 'One of your intents (by id or a unique prefix of at least 4 characters): its audit rows, receipts and budget checkpoint.',
  params: z.object({ intent_id: z.string().regex(/^[0-9a-f-]{4,36}$/, 'intent_id must be an intent id or at least 4 of its first characters') }),
  response: z.strictObject({
    kind: z.literal('intent_detail'),
    intent: IntentSummarySchema,
    events: z.array(AuditEventSchema),
    receipts: z.array(ReceiptViewSchema),
    checkpoint: z
      .strictObject({
        reason: z.string(),
        requested: z.number(),
        remaining: z.number(),
        refill_eta_ms: z.number().int(),
        created_at: z.number().int(),
        claimed_at: z.number().int().nullable(),
      })
      .nullable(),
  }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/intents/show' },
  mutates: false,
});
