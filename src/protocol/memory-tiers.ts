/**
 * Memory tiers (SPEC 3): `working`, `episodic`, `longterm`. Input also accepts the spellings
 * `long-term` and `long_term` (and any letter case); everything is stored and answered in the
 * canonical form.
 */
export const MEMORY_TIERS = ['working', 'episodic', 'longterm'] as const;
export type MemoryTier = (typeof MEMORY_TIERS)[number];

/** The most records one read returns. */
export const MAX_MEMORY_LIMIT = 1000;

/** Accepted spellings → canonical tier. */
const TIER_ALIASES: Readonly<Record<string, MemoryTier>> = {
  working: 'working',
  episodic: 'episodic',
  longterm: 'longterm',
  'long-term': 'longterm',
  long_term: 'longterm',
};

/** The tier a write uses when none is given (docs/memory.md). */
export const DEFAULT_WRITE_TIER: MemoryTier = 'episodic';

/** The allowed values, for error messages. */
export const TIER_CHOICES = `${MEMORY_TIERS.join(', ')} (also long-term, long_term)`;

/** The canonical tier for an input spelling, or null when it names no tier. */
export function parseTier(input: string): MemoryTier | null {
  return Object.hasOwn(TIER_ALIASES, input.trim().toLowerCase()) ? TIER_ALIASES[input.trim().toLowerCase()]! : null;
}

export function unknownTierMessage(input: string): string {
  const shown = JSON.stringify(input.length > 40 ? `${input.slice(0, 40)}…` : input);
  return `unknown memory tier ${shown}; use one of ${TIER_CHOICES}`;
}
