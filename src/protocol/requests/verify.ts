import { z } from 'zod';
import { MAX_REPAIR_REASON, MAX_VERIFY_WINDOW, REPAIR_ACTIONS } from '../constants.js';
import { MemoryRepairResultSchema, VerifyReportSchema } from '../verify-report.js';
import { defineRequest } from '../request-definition.js';

/** `covenant verify [--window N]`: read-only drift checks (SPEC 2). Operator only. */
export const verify = defineRequest({
  kind: 'verify',
  summary:
    'Cross-check memory records, receipts, capabilities and the audit log (the newest `window` rows of each, default 100) and report drift with a typed repair for each item.',
  params: z.object({ window: z.number().int().min(1).max(MAX_VERIFY_WINDOW).optional() }),
  response: VerifyReportSchema,
  authorize: () => ({ action: null, operatorOnly: true }),
  http: { method: 'GET', path: '/verify' },
  mutates: false,
});

/** `covenant memory repair <action> <id> --reason T [--apply]`: one targeted repair (dry run unless apply). */
export const memoryRepair = defineRequest({
  kind: 'memory_repair',
  summary:
    'Repair one drift item: detach-parent, delete, backfill-receipt or backfill-audit. A dry run unless apply; needs memory.repair.apply (dry run: memory.repair.dry_run).',
  params: z.object({
    action: z.enum(REPAIR_ACTIONS),
    /**
     * The drift item's id (a memory record, memory receipt or capability). Not `id`: on the
     * wire `id` is the request id a response echoes. The answer names it `id`.
     */
    target_id: z.string().min(1).max(256),
    reason: z
      .string()
      .max(MAX_REPAIR_REASON)
      .refine((r) => r.trim().length > 0, 'a repair needs a non-empty reason'),
    apply: z.boolean().optional(),
  }),
  response: MemoryRepairResultSchema,
  authorize: (params) => ({ action: params.apply === true ? 'memory.repair.apply' : 'memory.repair.dry_run' }),
  http: { method: 'POST', path: '/memory/repair' },
  mutates: true,
});
