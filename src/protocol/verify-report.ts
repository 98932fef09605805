/**
 * Wire shapes of the state verifier (SPEC 2): the `verify_report` and the `memory_repair`
 * answer. Types are inferred from these schemas; the request table (requests/verify.ts)
 * and the verifier share them.
 */
import { z } from 'zod';
import { REPAIR_ACTIONS } from './constants.js';


/** The checks, in the order the report lists them. */
export const VERIFY_CHECKS = [
  'memory_audit',
  'memory_parents',
  'capability_audit',
  'memory_receipts',
  'audit_chain',
  'store_integrity',
] as const;
export type VerifyCheckName = (typeof VERIFY_CHECKS)[number];

/** Every drift kind, with the check that reports it. */
export const DRIFT_KINDS = {
  memory_without_audit: 'memory_audit',
  audit_without_memory: 'memory_audit',
  memory_stale_parent: 'memory_parents',
  memory_parent_cycle: 'memory_parents',
  capability_without_audit: 'capability_audit',
  memory_without_receipt: 'memory_receipts',
  receipt_without_memory_record: 'memory_receipts',
  memory_receipt_duplicate: 'memory_receipts',
  memory_receipt_owner_mismatch: 'memory_receipts',
  memory_receipt_resource_mismatch: 'memory_receipts',
  memory_receipt_settled_before_created: 'memory_receipts',
  audit_chain_broken: 'audit_chain',
  store_integrity_failed: 'store_integrity',
  store_schema_mismatch: 'store_integrity',
} as const satisfies Record<string, VerifyCheckName>;
export type DriftKind = keyof typeof DRIFT_KINDS;


/**
 * A drift item's repair. `action` is a repair action, or `manual` when no command can fix the
 * fault (a broken audit chain, a damaged database): `command` then is the read-only command
 * that shows the details. `safe` is true when running `command` destroys nothing (it only adds
 * or links missing bookkeeping, or only reads); false when it removes a record or a link.
 */
export const RepairSchema = z.strictObject({
  action: z.enum([...REPAIR_ACTIONS, 'manual']),
  command: z.string(),
  safe: z.boolean(),
});
export type Repair = z.infer<typeof RepairSchema>;

export const DriftItemSchema = z.strictObject({
  kind: z.enum(Object.keys(DRIFT_KINDS) as [DriftKind, ...DriftKind[]]),
  /** The check that found it (one of VERIFY_CHECKS). */
  check: z.enum(VERIFY_CHECKS),
  /** The id the repair acts on: a memory record, receipt, capability or audit row id. */
  id: z.string().optional(),
  message: z.string(),
  repair: RepairSchema,
});
export type DriftItem = z.infer<typeof DriftItemSchema>;

export const CheckResultSchema = z.strictObject({
  name: z.enum(VERIFY_CHECKS),
  passed: z.boolean(),
  message: z.string(),
});
export type CheckResult = z.infer<typeof CheckResultSchema>;

export const VerifyReportSchema = z.strictObject({
  kind: z.literal('verify_report'),
  window: z.number().int(),
  checks: z.array(CheckResultSchema),
  drift: z.array(DriftItemSchema),
  /** The number of drift items (each one fault); `covenant verify` exits 1 when it is above 0. */
  orphans_total: z.number().int(),
});
export type VerifyReport = z.infer<typeof VerifyReportSchema>;

/** One change a repair makes (or, in a dry run, would make). */
export const RepairChangeSchema = z.strictObject({
  op: z.enum(['detach_parent', 'delete_record', 'insert_receipt', 'link_receipt', 'void_receipt', 'insert_audit']),
  table: z.enum(['memory_records', 'receipts', 'audit_events']),
  id: z.string(),
  detail: z.string(),
});
export type RepairChange = z.infer<typeof RepairChangeSchema>;

export const MemoryRepairResultSchema = z.strictObject({
  kind: z.literal('memory_repair'),
  action: z.enum(REPAIR_ACTIONS),
  id: z.string(),
  /** True when changes were written (false for a dry run, or when there was nothing to change). */
  applied: z.boolean(),
  /** What was changed (applied) or would be changed (dry run). */
  changes: z.array(RepairChangeSchema),
});
export type MemoryRepairResult = z.infer<typeof MemoryRepairResultSchema>;
