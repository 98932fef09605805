import { z } from 'zod';
import { AgentIdViewSchema } from '../agent-id.js';
import { defineRequest } from '../request-definition.js';
import { IntentStatusSchema } from './intent.js';

export const IntentSummarySchema = z.strictObject({
  intent_id: z.string(),
  status: IntentStatusSchema,
  /** The agent that ran it; null for an echoed (unrouted) or early-ignored intent. */
  agent: z.string().nullable(),
  issuer: AgentIdViewSchema,
  /** Compute credits its run was charged (0 when it never ran). */
  credits: z.number(),
  /** Why it failed or paused (`intent_failed.reason`, `budget_exhausted`, ...); null otherwise. */
  reason: z.string().nullable(),
  message: z.string().nullable(),
  /** Time of the row that set its status. */
  at: z.number().int(),
  /** Paused intents: ms until the agent's budget holds the credit a run needs (-1: never). */
  refill_eta_ms: z.number().int().nullable(),
});

export const intentsList = defineRequest({
  kind: 'intents_list',
  summary:
    'Recent intents by status (ok, failed, paused, ignored), newest first, read from their audit rows and checkpoints. Callers see their own intents; the operator sees all.',
  params: z.object({
    status: IntentStatusSchema.optional(),
    limit: z.number().int().min(1).max(1000).optional(),
  }),
  response: z.strictObject({
    kind: z.literal('intents_list'),
    status: IntentStatusSchema.nullable(),
    limit: z.number().int(),
    intents: z.array(IntentSummarySchema),
  }),
  authorize: () => ({ action: 'audit.read' }),
  http: { method: 'GET', path: '/intents/list' },
  mutates: false,
});
