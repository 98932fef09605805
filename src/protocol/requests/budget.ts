import { z } from 'zod';
import { defineRequest } from '../request-definition.js';
import { IntentStatusSchema, SettlementSummarySchema } from './intent.js';
import { AgentIdParam } from './policy.js';

export const BudgetEntrySchema = z.strictObject({
  agent: z.string(),
  credits_per_hour: z.number(),
  balance: z.number(),
  /** Milliseconds until the bucket holds the 1 credit an intent needs (0: now; -1: never). */
  refill_eta_ms: z.number().int(),
  full_in_ms: z.number().int().optional(),
  paused_intents: z.number().int(),
  configured_by: z.enum(['manifest', 'operator']).optional(),
});

export const budgetStatus = defineRequest({
  kind: 'budget_status',
  summary: 'Budgets of the agents that have one (credits_per_hour > 0), or of one agent.',
  params: z.object({ agent: AgentIdParam.optional() }),
  response: z.strictObject({
    kind: z.literal('budget_status'),
    budgets: z.array(BudgetEntrySchema),
    /** Agents without a budget now (e.g. `budget set <agent> 0`) that still have paused intents: `covenant intents list --status paused`. */
    paused_without_budget: z.array(z.strictObject({ agent: z.string(), paused_intents: z.number().int() })),
  }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/budget/status' },
  mutates: false,
});

const MAX_CREDITS = 1_000_000_000;

export const budgetTopup = defineRequest({
  kind: 'budget_topup',
  summary: "Add credits to an agent's budget now (needs budget.topup).",
  params: z.object({
    agent: AgentIdParam,
    credits: z.number().positive('credits must be more than 0').max(MAX_CREDITS),
  }),
  response: z.strictObject({ kind: z.literal('budget_topped_up'), agent: z.string(), balance: z.number() }),
  // A scope `agents: [...]` limits which agents the holder may top up.
  authorize: (params) => ({ action: 'budget.topup', facts: { agent: params.agent } }),
  http: { method: 'POST', path: '/budget/topup' },
  mutates: true,
});

export const budgetSet = defineRequest({
  kind: 'budget_set',
  summary: "Set an agent's credits per hour (0 = unlimited); overrides the manifest. Operator only.",
  params: z.object({
    agent: AgentIdParam,
    credits_per_hour: z.number().int('credits_per_hour must be a whole number').min(0).max(MAX_CREDITS),
  }),
  response: z.strictObject({
    kind: z.literal('budget_set'),
    agent: z.string(),
    credits_per_hour: z.number().int(),
    previous: z.number().int().optional(),
  }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/budget/set' },
  mutates: true,
});

export const intentsResume = defineRequest({
  kind: 'intents_resume',
  summary:
    'Re-run one of your paused intents (budget exhausted or preempted) through the full pipeline once its budget allows; a paused intent resumes once.',
  params: z.object({
    // A whole id or any unique prefix of one (resolved by the daemon among the caller's paused intents).
    intent_id: z.union([z.literal('latest'), z.string().regex(/^[0-9a-fA-F][0-9a-fA-F-]{0,35}$/, 'intent_id must be a paused intent id (or its first characters) or "latest"')]),
  }),
  response: z.strictObject({
    kind: z.literal('intents_resume'),
    ok: z.boolean(),
    mode: z.enum(['resumed', 'still_paused']),
    intent_id: z.string(),
    status: IntentStatusSchema,
    agent: z.string().nullable().optional(),
    text: z.string(),
    sources: z.array(z.string()),
    settlement: SettlementSummarySchema,
    refill_eta_ms: z.number().int().nullable(),
  }),
  // Re-running an intent is submitting it again.
  authorize: () => ({ action: 'intent.submit' }),
  http: { method: 'POST', path: '/intents/resume' },
  mutates: true,
});
