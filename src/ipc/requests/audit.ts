import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

export const AuditIntegrityReportSchema = z.object({
  events: z.number().int(),
  checkpoints: z.number().int(),
  valid: z.boolean(),
  root_hash_hex: z.string(),
  failures: z.array(z.object({ seq: z.number().int(), reason: z.string() })),
});

export const auditVerify = defineRequest({
  kind: 'audit_verify',
  summary: 'Re-derive the audit hash chain and check every signed checkpoint.',
  params: z.object({}),
  response: z.object({ kind: z.literal('audit_integrity'), report: AuditIntegrityReportSchema }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'GET', path: '/audit/verify' },
  mutates: false,
});

export const auditCheckpoint = defineRequest({
  kind: 'audit_checkpoint',
  summary: 'Sign a checkpoint of the newest audit row now.',
  params: z.object({}),
  response: z.object({
    kind: z.literal('audit_checkpoint'),
    checkpoint: z
      .object({ seq: z.number().int(), chain_hash: z.string(), timestamp_ms: z.number().int(), signature_b58: z.string() })
      .nullable(),
  }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/audit/checkpoint' },
  mutates: true,
});
