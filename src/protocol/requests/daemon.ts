import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

export const ping = defineRequest({
  kind: 'ping',
  summary: 'Liveness check of an authenticated connection.',
  params: z.object({}),
  response: z.object({ kind: z.literal('daemon_ping'), status: z.literal('ok') }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/ping' },
  mutates: false,
});
