import { z } from 'zod';
import { AgentIdViewSchema } from '../agent-id.js';
import { defineRequest } from '../request-definition.js';
import { PurgeCutoffParams, resolvePurgeCutoff } from './purge-cutoff.js';

const ScopeParam = z.record(z.string(), z.unknown());

export const CapabilityViewSchema = z.strictObject({
  id: z.string(),
  subject: AgentIdViewSchema,
  action: z.string(),
  scope: ScopeParam,
  granted_by: AgentIdViewSchema,
  expires_at: z.number().int().nullable(),
  parent_id: z.string().nullable(),
  issued_at: z.number().int(),
  signature_b58: z.string(),
  revoked_at: z.number().int().nullable(),
});

export const capabilitiesGrant = defineRequest({
  kind: 'capabilities_grant',
  summary: 'Grant an action to yourself or (operator, or by delegation) to another peer.',
  params: z.object({
    action: z.string().min(1).max(200),
    to: z.string().min(1).max(200).optional(),
    scope: ScopeParam.optional(),
    expires_at: z.number().int().positive().optional(),
    expires_in_ms: z.number().int().positive().optional(),
    /** Grant an action that neither the daemon's catalogue nor an installed agent declares (an agent installed later). */
    allow_unknown_action: z.boolean().optional(),
  }),
  response: z.strictObject({
    kind: z.literal('capability_granted'),
    id: z.string(),
    subject_display: z.string(),
    subject_pubkey: z.string(),
    action: z.string(),
    scope: ScopeParam,
    expires_at: z.number().int().nullable(),
    parent_id: z.string().nullable(),
    signature_b58: z.string(),
  }),
  // Authority to grant is the grant's own check (operator or a delegable capability).
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/capabilities/grant' },
  mutates: true,
});

export const capabilitiesRecent = defineRequest({
  kind: 'capabilities_recent',
  summary: 'Capabilities where the caller is subject or grantor, newest first.',
  params: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20) }),
  response: z.strictObject({ kind: z.literal('capability_list'), limit: z.number().int(), capabilities: z.array(CapabilityViewSchema) }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/capabilities/recent' },
  mutates: false,
});

export const capabilitiesRevoke = defineRequest({
  kind: 'capabilities_revoke',
  summary: 'Revoke a capability (by id or signature) and everything delegated from it.',
  params: z.object({ id_or_signature: z.string().min(1).max(200) }),
  response: z.strictObject({ kind: z.literal('capability_revoked'), id: z.string(), removed: z.array(z.string()) }),
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/capabilities/revoke' },
  mutates: true,
});

export const capabilitiesPurge = defineRequest({
  kind: 'capabilities_purge',
  summary: 'Remove revoked or expired capability records older than the cutoff.',
  params: z.object(PurgeCutoffParams),
  response: z.strictObject({ kind: z.literal('capabilities_purged'), before_ms: z.number().int(), purged: z.number().int() }),
  authorize: (params) => ({ action: 'capabilities.purge', facts: { before_ms: resolvePurgeCutoff(params) } }),
  http: { method: 'POST', path: '/capabilities/purge' },
  mutates: true,
});

export const bootstrap = defineRequest({
  kind: 'bootstrap',
  summary: "Re-grant the operator's default capability set (idempotent).",
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('bootstrap'), granted: z.array(z.string()), already_held: z.array(z.string()) }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/bootstrap' },
  mutates: true,
});
