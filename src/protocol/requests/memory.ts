import { z } from 'zod';
import { MAX_IMPORT_FILE_BYTES } from '../constants.js';
import { DEFAULT_WRITE_TIER, MAX_MEMORY_LIMIT, MEMORY_TIERS, parseTier, unknownTierMessage, type MemoryTier } from '../memory-tiers.js';
import { defineRequest, type Authorization } from '../request-definition.js';
import { PurgeCutoffParams, resolvePurgeCutoff } from './purge-cutoff.js';

/** A tier as a request names it: `working`, `episodic`, `longterm` (or `long-term`, `long_term`). */
export const TierParam = z
  .string()
  .max(64)
  .transform((value, ctx): MemoryTier => {
    const tier = parseTier(value);
    if (tier === null) {
      ctx.issues.push({ code: 'custom', message: unknownTierMessage(value), input: value });
      return z.NEVER;
    }
    return tier;
  });

export const MemoryTierSchema = z.enum(MEMORY_TIERS);

const LimitParam = z.number().int().min(1).max(MAX_MEMORY_LIMIT);

export const MemoryReadRecordSchema = z.strictObject({
  id: z.string(),
  tier: MemoryTierSchema,
  text: z.string(),
  created_at: z.number().int(),
  parent: z.string().nullable(),
  receipt_id: z.string().nullable(),
  /** Long-term records past the retention policy's limits are kept but flagged stale. */
  stale: z.boolean(),
  /** Search only: the fused score in [0, 1] (docs/memory.md "Search"), rounded to 6 decimals. */
  relevance: z.number().optional(),
  /** Search only: the parts it was fused from: cosine similarity and BM25 relative to the query's best. */
  parts: z.strictObject({ vector: z.number(), lexical: z.number() }).optional(),
});

export type MemoryReadRecord = z.infer<typeof MemoryReadRecordSchema>;

/** A record as `memory_written` answers it. */
export const MemoryWrittenRecordSchema = z.strictObject({
  id: z.string(),
  tier: MemoryTierSchema,
  owner: z.string(),
  text: z.string(),
  created_at: z.number().int(),
  parent: z.string().nullable(),
  receipt_id: z.string(),
});
export type MemoryWrittenRecord = z.infer<typeof MemoryWrittenRecordSchema>;

/** What a retention pass changed (`apply`) or would change (`dry_run`). */
export const CompactionOutcomeSchema = z.strictObject({
  mode: z.enum(['dry_run', 'apply']),
  /** Distinct records the pass changes (deleted, newly stale, or detached from a deleted parent). */
  would_change: z.number().int(),
  /** Records changed: `would_change` when applied, 0 in a dry run. */
  changed: z.number().int(),
  deleted: z.number().int(),
  stale_marked: z.number().int(),
  parents_detached: z.number().int(),
});
export type CompactionOutcome = z.infer<typeof CompactionOutcomeSchema>;

/** One response for `memory_recent` and `memory_search`. */
export const MemoryReadSchema = z.strictObject({
  kind: z.literal('memory_read'),
  mode: z.enum(['recent', 'search']),
  /** The tier read; null: all tiers. */
  tier: MemoryTierSchema.nullable(),
  limit: z.number().int(),
  query: z.string().nullable(),
  min_relevance: z.number().nullable(),
  records: z.array(MemoryReadRecordSchema),
  /** Search only: why the vector part was left out (another embedder's vectors, a provider that failed); the records are then BM25 only. */
  note: z.string().optional(),
});

/**
 * Reads need `memory.read` (its scope may list tiers) or `memory.read.<tier>`. A read of one
 * tier states it as a fact; a read of every tier states all three, so a tier-limited capability
 * (either form) never reads more than it lists.
 */
function readAuthorization(tier: MemoryTier | undefined): Authorization {
  if (tier === undefined) return { action: 'memory.read', facts: { tier: [...MEMORY_TIERS] } };
  return { action: 'memory.read', facts: { tier }, anyOf: [{ action: `memory.read.${tier}`, facts: { tier } }] };
}

export const memoryWrite = defineRequest({
  kind: 'memory_write',
  summary: 'Write a memory record of your own (default tier episodic), paid by a memory receipt.',
  params: z.object({
    text: z.string().min(1, 'memory text must not be empty').max(65_536),
    tier: TierParam.optional(),
    parent: z.string().min(1).max(128).optional(),
  }),
  response: z.strictObject({
    kind: z.literal('memory_written'),
    record: MemoryWrittenRecordSchema,
  }),
  // A `tier` scope on memory.write limits the tiers the holder may write.
  authorize: (params) => ({ action: 'memory.write', facts: { tier: params.tier ?? DEFAULT_WRITE_TIER } }),
  http: { method: 'POST', path: '/memory/write' },
  mutates: true,
});

export const memoryRecent = defineRequest({
  kind: 'memory_recent',
  summary: 'Your newest memory records (one tier or all), newest first.',
  params: z.object({ tier: TierParam.optional(), limit: LimitParam.optional() }),
  response: MemoryReadSchema,
  authorize: (params) => readAuthorization(params.tier),
  http: { method: 'GET', path: '/memory/recent' },
  mutates: false,
});

export const memorySearch = defineRequest({
  kind: 'memory_search',
  summary: 'Your memory records best matching a query (BM25 fused with embedding similarity), best first.',
  params: z.object({
    query: z.string().min(1, 'query must not be empty').max(4096),
    tier: TierParam.optional(),
    limit: LimitParam.optional(),
    min_relevance: z.number().min(0, 'min_relevance must be between 0 and 1').max(1, 'min_relevance must be between 0 and 1').optional(),
  }),
  response: MemoryReadSchema,
  authorize: (params) => readAuthorization(params.tier),
  // POST: the query is memory content and stays out of URLs.
  http: { method: 'POST', path: '/memory/search' },
  mutates: false,
});

export const memoryImport = defineRequest({
  kind: 'memory_import',
  summary: 'Import text and markdown files as your memory records: chunked at paragraphs, an unchanged file skipped.',
  params: z.object({
    tier: TierParam.optional(),
    files: z
      .array(
        z.object({
          /** The file's path relative to the import root (metadata.source of its records). */
          source: z.string().min(1).max(1024),
          text: z.string().max(MAX_IMPORT_FILE_BYTES),
        }),
      )
      .min(1)
      .max(1000),
  }),
  response: z.strictObject({
    kind: z.literal('memory_imported'),
    /** Files in the request. */
    files: z.number().int(),
    /** Records written. */
    records: z.number().int(),
    /** Files already imported unchanged (nothing written). */
    skipped: z.number().int(),
  }),
  authorize: (params) => ({ action: 'memory.write', facts: { tier: params.tier ?? DEFAULT_WRITE_TIER } }),
  http: { method: 'POST', path: '/memory/import' },
  mutates: true,
});

export const memoryPurge = defineRequest({
  kind: 'memory_purge',
  summary: 'Delete your memory records older than the cutoff (one tier or all); their receipts are marked by tombstones.',
  params: z.object({ tier: TierParam.optional(), ...PurgeCutoffParams }),
  response: z.strictObject({ kind: z.literal('memory_purged'), before_ms: z.number().int(), purged: z.number().int() }),
  // Scope: `tier` limits the tiers (a purge of every tier states all three), `max_before_ms` the cutoff.
  authorize: (params) => ({
    action: 'memory.purge',
    facts: { tier: params.tier ?? [...MEMORY_TIERS], before_ms: resolvePurgeCutoff(params) },
  }),
  http: { method: 'POST', path: '/memory/purge' },
  mutates: true,
});

export const memoryCompact = defineRequest({
  kind: 'memory_compact',
  summary: 'Apply the [memory.retention] policy now (dry run unless apply); long-term records are only marked stale.',
  params: z.object({
    reason: z.string().trim().min(1, 'give a reason (--reason)').max(500),
    apply: z.boolean().optional(),
  }),
  response: z.strictObject({
    kind: z.literal('memory_compacted'),
    outcome: CompactionOutcomeSchema,
  }),
  authorize: (params) => ({ action: params.apply === true ? 'memory.compact.apply' : 'memory.compact.dry_run' }),
  http: { method: 'POST', path: '/memory/compact' },
  mutates: true,
});
