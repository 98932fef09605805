import { z } from 'zod';
import { BASE58_PREFIX } from '../../core/base58-pattern.js';
import { AgentIdViewSchema } from '../agent-id.js';

export const MAX_RECENT_AUDIT_LIMIT = 1000;
export const MAX_AUDIT_KIND_FILTERS = 32;
import { defineRequest } from '../request-definition.js';
import { PurgeCutoffParams, resolvePurgeCutoff } from './purge-cutoff.js';

export const AuditIntegrityReportSchema = z.strictObject({
  events: z.number().int(),
  checkpoints: z.number().int(),
  valid: z.boolean(),
  root_hash_hex: z.string(),
  failures: z.array(z.strictObject({ seq: z.number().int(), reason: z.string() })),
});

export const auditVerify = defineRequest({
  kind: 'audit_verify',
  summary: 'Re-derive the audit hash chain and check every signed checkpoint.',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('audit_integrity'), report: AuditIntegrityReportSchema }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'GET', path: '/audit/verify' },
  mutates: false,
});

export const auditCheckpoint = defineRequest({
  kind: 'audit_checkpoint',
  summary: 'Sign a checkpoint of the newest audit row now.',
  params: z.object({}),
  response: z.strictObject({
    kind: z.literal('audit_checkpoint'),
    checkpoint: z
      .strictObject({ seq: z.number().int(), chain_hash: z.string(), timestamp_ms: z.number().int(), signature_b58: z.string() })
      .nullable(),
  }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/audit/checkpoint' },
  mutates: true,
});

export const AuditEventSchema = z.strictObject({
  seq: z.number().int(),
  id: z.string(),
  timestamp_ms: z.number().int(),
  issuer: AgentIdViewSchema,
  kind: z.string(),
  payload: z.record(z.string(), z.unknown()),
  event_hash: z.string(),
  chain_hash: z.string(),
});

export const auditRecent = defineRequest({
  kind: 'audit_recent',
  summary:
    'Recent audit rows, newest first (after_seq: the rows after it, oldest first). Callers see the rows they issued; the operator sees all.',
  params: z.object({
    limit: z.number().int().min(1).max(MAX_RECENT_AUDIT_LIMIT).optional(),
    since_ms: z.number().int().min(0).optional(),
    after_seq: z.number().int().min(0).optional(),
    kinds: z.array(z.string().min(1).max(64)).max(MAX_AUDIT_KIND_FILTERS).optional(),
    issuer: z.string().regex(BASE58_PREFIX, 'issuer must be a base58 pubkey or pubkey prefix (1-64 characters)').optional(),
  }),
  response: z.strictObject({
    kind: z.literal('audit_recent'),
    limit: z.number().int(),
    filters: z.strictObject({
      since_ms: z.number().int().nullable(),
      after_seq: z.number().int().nullable(),
      kinds: z.array(z.string()).nullable(),
      issuer: z.string().nullable(),
    }),
    events: z.array(AuditEventSchema),
  }),
  authorize: () => ({ action: 'audit.read' }),
  http: { method: 'GET', path: '/audit/recent' },
  mutates: false,
});

export const auditPurge = defineRequest({
  kind: 'audit_purge',
  summary:
    'Delete the oldest audit rows (a contiguous prefix older than the cutoff) behind a signed checkpoint; the remaining log still verifies.',
  params: z
    .object(PurgeCutoffParams)
    .refine((p) => (p.before_ms === undefined) !== (p.older_than_ms === undefined), {
      message: 'give exactly one of before_ms or older_than_ms',
    }),
  response: z.strictObject({
    kind: z.literal('audit_purged'),
    before_ms: z.number().int(),
    purged: z.number().int(),
    cut_seq: z.number().int().nullable(),
    cut_chain_hash: z.string().nullable(),
  }),
  // The cutoff is resolved (and a future or negative one refused) once, before the capability
  // check, so the scope's max_before_ms is checked against exactly the cutoff the handler applies.
  authorize: (params) => ({ action: 'audit.purge', facts: { before_ms: resolvePurgeCutoff(params) } }),
  http: { method: 'POST', path: '/audit/purge' },
  mutates: true,
});
