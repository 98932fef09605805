import path from 'node:path';
import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

/** Agent ids: lowercase letters, digits and "-", starting with a letter (the manifest's rule). */
const AgentIdParam = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'agent id: lowercase letters, digits and "-", starting with a letter, at most 63 characters');

export const AgentSummarySchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  version: z.string(),
  runtime: z.string(),
  /** The backend it runs on: the manifest's, else the daemon default (a required sandbox is linux-gvisor). */
  backend: z.string(),
});

export const InstalledAgentSchema = AgentSummarySchema.extend({
  description: z.string().nullable(),
  keywords: z.array(z.string()),
  capabilities_required: z.array(z.string()),
  sandbox_required: z.boolean(),
  warm: z.boolean(),
  installed_at: z.number().int(),
  package_sha256: z.string(),
});

export const agentsInstall = defineRequest({
  kind: 'agents_install',
  summary:
    'Validate an agent package (agent.toml) and copy it into $COVENANT_HOME/agents/<id>/; it is routable at once. Reinstalling an id replaces it. Operator only.',
  params: z.object({
    dir: z
      .string()
      .min(1)
      .max(4096)
      .refine((p) => path.isAbsolute(p), 'dir must be an absolute path (the CLI resolves it)'),
  }),
  response: z.strictObject({
    kind: z.literal('agent_installed'),
    agent: AgentSummarySchema,
    replaced: z.boolean().optional(),
    package_sha256: z.string().optional(),
  }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/agents/install' },
  mutates: true,
});

export const agentsList = defineRequest({
  kind: 'agents_list',
  summary: 'The installed agents, by id.',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('agent_list'), agents: z.array(InstalledAgentSchema) }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/agents/list' },
  mutates: false,
  requestRows: false,
});

export const agentsRemove = defineRequest({
  kind: 'agents_remove',
  summary: 'Uninstall an agent: its row, its package directory and its warm process. Operator only.',
  params: z.object({ agent: AgentIdParam }),
  response: z.strictObject({ kind: z.literal('agent_removed'), id: z.string() }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/agents/remove' },
  mutates: true,
});
