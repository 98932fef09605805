import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

/** Agent ids as manifests spell them (`agent.id`). */
export const AgentIdParam = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'agent must be an installed agent id: lowercase letters, digits and "-", starting with a letter');

export const ignoreCheck = defineRequest({
  kind: 'ignore_check',
  summary:
    'Check a text against the .covenantignore rules (home rules, plus the agent package rules with `agent`), as the dispatch gate would.',
  params: z.object({
    text: z.string().min(1, 'text must not be empty').max(1_000_000),
    agent: AgentIdParam.optional(),
  }),
  response: z.strictObject({
    kind: z.literal('ignore_report'),
    ignored: z.boolean(),
    matched_rule: z.string().nullable(),
    source: z.string().nullable(),
    matched_path: z.string().nullable().optional(),
    rules_loaded: z.number().int(),
    refused_overrides: z.array(z.string()),
  }),
  // Identity-only: it reveals nothing but the caller's own text and the rules.
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/ignore/check' },
  mutates: false,
});
