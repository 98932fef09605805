import { CovenantError } from './errors.js';

/**
 * Ids (UUIDs) are shown by their first 8 characters and taken by any unique prefix (issue 10
 * item 10). The daemon resolves a prefix, so the CLI and HTTP agree.
 */
export const SHORT_ID_LENGTH = 8;

export function shortId(id: string): string {
  return id.slice(0, SHORT_ID_LENGTH);
}

const WHOLE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_PREFIX = /^[0-9a-f][0-9a-f-]{0,35}$/;

/** One id a prefix matched, with a few words that tell it apart in an ambiguity refusal. */
export interface IdMatch {
  id: string;
  label: string;
}

/** How many matches an ambiguity refusal lists. */
const LISTED = 5;

/**
 * The whole id `given` starts, among the ids `find` returns (only those the caller may see).
 * A whole UUID, or anything that is not a UUID prefix (a signature, a word), is returned as
 * given, as is a prefix nothing matches: the caller's own lookup then answers not-found as
 * before. More than one match is refused with `E_AMBIGUOUS`, listing them.
 */
export function resolveIdPrefix(given: string, noun: string, find: (prefix: string, limit: number) => IdMatch[]): string {
  const lower = given.toLowerCase();
  if (WHOLE_UUID.test(lower) || !UUID_PREFIX.test(lower)) return given;
  const matches = find(lower, LISTED + 1);
  if (matches.length === 0) return given;
  if (matches.length === 1) return matches[0]!.id;
  const count = matches.length > LISTED ? `more than ${LISTED}` : String(matches.length);
  const listed = matches.slice(0, LISTED).map((m) => `${shortId(m.id)}… (${m.label})`);
  throw new CovenantError('E_AMBIGUOUS', `${given} is the start of ${count} ${noun} ids: ${listed.join(', ')}; give more characters of the id`);
}
