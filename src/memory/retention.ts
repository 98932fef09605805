/**
 * The retention policy (SPEC 3, docs/memory.md): `[memory.retention]` in `$COVENANT_HOME/config.toml`.
 *
 *   [memory.retention.working]
 *   max_age_ms = 86400000        # 24 h (default)
 *   max_count = 1000             # per owner (default: unlimited)
 *
 *   [memory.retention.episodic]
 *   max_age_ms = 7776000000      # 90 days (default)
 *
 *   [memory.retention.longterm]
 *   max_age_ms = "unlimited"     # default; long-term records are only ever marked stale
 *
 * Each limit is a positive whole number or the string "unlimited"; a key left out keeps its
 * default. Tier tables also accept `long-term` / `long_term`. Validation is strict inside
 * `[memory.retention]`: an unknown tier or key, or a bad value, is an error whose message names
 * the file and the key path (`config.toml: memory.retention.working.max_age_ms: ...`). Other
 * sections of config.toml (`[model]`, other `[memory]` keys) belong to other parts and are not
 * read here. A missing file means the defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { z } from 'zod';
import { CovenantError } from '../core/index.js';
import { parseConfigToml } from '../home/index.js';
import { MEMORY_TIERS, parseTier, TIER_CHOICES, type MemoryTier } from '../protocol/index.js';

export interface TierRetention {
  /** Records older than this (ms) are deleted (long-term: marked stale); null = no age limit. */
  max_age_ms: number | null;
  /** Per owner: records beyond the newest N are deleted (long-term: marked stale); null = no limit. */
  max_count: number | null;
}

export type RetentionPolicy = Record<MemoryTier, TierRetention>;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export const DEFAULT_RETENTION: RetentionPolicy = {
  working: { max_age_ms: 24 * HOUR_MS, max_count: null },
  episodic: { max_age_ms: 90 * DAY_MS, max_count: null },
  longterm: { max_age_ms: null, max_count: null },
};

const LIMIT_HINT = 'expected a positive whole number or "unlimited"';

const Limit = z.union([
  z.literal('unlimited'),
  z.number({ error: LIMIT_HINT }).int({ error: LIMIT_HINT }).positive({ error: LIMIT_HINT }).max(Number.MAX_SAFE_INTEGER, { error: LIMIT_HINT }),
], { error: LIMIT_HINT });

const TierSchema = z.strictObject(
  { max_age_ms: Limit.optional(), max_count: Limit.optional() },
  { error: 'expected a table with max_age_ms and/or max_count' },
);

const RetentionSchema = z.strictObject(
  { working: TierSchema.optional(), episodic: TierSchema.optional(), longterm: TierSchema.optional() },
  { error: 'expected a table of tiers ([memory.retention.working] ...)' },
);

function configError(source: string, path: string, message: string): CovenantError {
  return new CovenantError('E_BAD_REQUEST', `${source}: ${path}: ${message}`);
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** A problem with `[memory.retention]`: the key path below it and what is wrong. */
export interface RetentionIssue {
  path: string[];
  message: string;
}

/** The `[memory.retention]` table as parsed TOML (undefined: absent) → the policy, or its first problem. */
export function retentionFromTable(retention: unknown): { policy: RetentionPolicy } | { issue: RetentionIssue } {
  if (retention === undefined) return { policy: structuredClone(DEFAULT_RETENTION) };
  if (!isTable(retention)) return { issue: { path: [], message: 'expected a table ([memory.retention])' } };
  // Tier spellings (long-term, long_term) → canonical names, refusing two spellings of one tier.
  const normalised: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(retention)) {
    const tier = parseTier(key);
    if (tier === null) return { issue: { path: [key], message: `unknown tier; use one of ${TIER_CHOICES}` } };
    if (Object.hasOwn(normalised, tier)) return { issue: { path: [key], message: `tier ${tier} is configured twice` } };
    normalised[tier] = value;
  }
  const parsed = RetentionSchema.safeParse(normalised);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const path = issue.path.map(String);
    if (issue.code === 'unrecognized_keys') return { issue: { path: [...path, issue.keys[0] ?? '?'], message: 'unknown key; allowed keys: max_age_ms, max_count' } };
    return { issue: { path, message: issue.message } };
  }
  const policy = structuredClone(DEFAULT_RETENTION);
  for (const tier of MEMORY_TIERS) {
    const configured = parsed.data[tier];
    if (!configured) continue;
    if (configured.max_age_ms !== undefined) policy[tier].max_age_ms = configured.max_age_ms === 'unlimited' ? null : configured.max_age_ms;
    if (configured.max_count !== undefined) policy[tier].max_count = configured.max_count === 'unlimited' ? null : configured.max_count;
  }
  return { policy };
}

/** `[memory.retention]` in the one config.toml schema (src/config): the table in, the policy out. */
export const RetentionTableSchema = z.unknown().transform((raw, ctx): RetentionPolicy => {
  const result = retentionFromTable(raw);
  if ('policy' in result) return result.policy;
  ctx.addIssue({ code: 'custom', path: result.issue.path, message: result.issue.message });
  return z.NEVER;
});

/** Parses config.toml text; only `[memory.retention]` is read. Throws E_BAD_REQUEST naming the key. */
export function parseRetentionConfig(text: string, source = 'config.toml'): RetentionPolicy {
  const file = parseConfigToml(text, source);
  if ('error' in file) throw new CovenantError('E_BAD_REQUEST', file.error);
  const memory = file.document.memory;
  if (memory === undefined) return structuredClone(DEFAULT_RETENTION);
  if (!isTable(memory)) throw configError(source, 'memory', 'expected a table ([memory])');
  const result = retentionFromTable(memory.retention);
  if ('issue' in result) throw configError(source, ['memory', 'retention', ...result.issue.path].join('.'), result.issue.message);
  return result.policy;
}

/** Reads the policy from a config.toml path; a missing file means the defaults. */
export function loadRetentionPolicy(path: string): RetentionPolicy {
  if (!existsSync(path)) return structuredClone(DEFAULT_RETENTION);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new CovenantError('E_BAD_REQUEST', `cannot read ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  return parseRetentionConfig(text, path);
}
