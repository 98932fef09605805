import { z } from 'zod';
import { defineRequest } from '../request-definition.js';

export const DoctorCheckSchema = z.strictObject({
  name: z.string(),
  /** true: fine; false: broken (the CLI exits 1); null: skipped or not applicable. */
  ok: z.boolean().nullable(),
  detail: z.string(),
  /** What to do about it (null when ok). */
  fix: z.string().nullable(),
  /** The last lines of a log that explains the check (an MCP server's stderr). */
  log_tail: z.array(z.string()).optional(),
});

export const doctor = defineRequest({
  kind: 'doctor',
  summary: 'Host readiness: home modes, schema version, installed agents, runsc and the gVisor rootfs, the model endpoint. Operator only.',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('doctor_report'), checks: z.array(DoctorCheckSchema) }),
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'GET', path: '/doctor' },
  mutates: false,
});
