import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

// The operator console (SPEC 19, docs/console.md).

export const consoleCode = defineRequest({
  kind: 'console_code',
  summary: 'Mint a one-time login code for the operator console (single use, 2 minutes) and the URL that carries it. Operator only.',
  params: z.object({}),
  response: z.strictObject({
    kind: z.literal('console_code'),
    /** The console URL with the code in its fragment (`#code=...`), which browsers never send to a server. */
    url: z.string(),
    code: z.string(),
    expires_at: z.number().int(),
  }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'POST', path: '/console/code' },
  mutates: true,
});

export const CoverageSurfaceSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  mockTests: z.array(z.string()),
  liveTests: z.array(z.string()),
  nextGap: z.string().nullable().optional(),
});

export const coverageMatrix = defineRequest({
  kind: 'coverage_matrix',
  summary: 'The live coverage matrix of the installed package (live-coverage.json, SPEC 17).',
  params: z.object({}),
  response: z.strictObject({
    kind: z.literal('coverage_matrix'),
    version: z.number().int(),
    surfaces: z.array(CoverageSurfaceSchema),
  }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/coverage' },
  mutates: false,
});
