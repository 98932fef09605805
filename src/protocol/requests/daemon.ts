import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

export const ping = defineRequest({
  kind: 'ping',
  summary: 'Liveness check of an authenticated connection.',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('daemon_ping'), status: z.literal('ok') }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/ping' },
  mutates: false,
  requestRows: false,
});

export const status = defineRequest({
  kind: 'status',
  summary: 'The daemon at a glance: version, uptime, installed agents, paused intents and the audit head. Operator only.',
  params: z.object({}),
  response: z.strictObject({
    kind: z.literal('daemon_status'),
    daemon_version: z.string(),
    protocol_version: z.number().int(),
    pid: z.number().int(),
    started_at: z.number().int(),
    uptime_ms: z.number().int(),
    agents: z.number().int(),
    /** Intents paused on an empty budget and not yet resumed, across every agent. */
    paused_intents: z.number().int(),
    /** The newest audit row; null on an empty log. */
    audit_head: z.strictObject({ seq: z.number().int(), chain_hash: z.string(), timestamp_ms: z.number().int() }).nullable(),
  }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'GET', path: '/status' },
  mutates: false,
  requestRows: false,
});
