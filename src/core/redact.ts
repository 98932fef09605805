// No imports: the CLI's hot commands load this, and ids.ts would pull in node:crypto.

/** At most six characters of a secret may ever be shown. */
export function secretPrefix(secret: string): string {
  return secret.slice(0, 6);
}

/** The shortest run `redact` cuts. */
const MIN_RUN = 16;
const BASE58_RUN = new RegExp(`[1-9A-HJ-NP-Za-km-z]{${MIN_RUN},}`, 'g');

/**
 * Token-shaped: a run of the base58 alphabet of 32 or more characters with a letter (tokens and
 * keys are 43-44, signatures 87-88), or of 16 or more that mixes digits, upper and lower case
 * (a piece of one). Words, numbers, camelCase names, UUID segments (12) and lowercase hex (a
 * SHA-256; a token is never all hex) are not.
 */
function tokenShaped(run: string): boolean {
  if (!/[A-Za-z]/.test(run) || /^[1-9a-f]+$/.test(run)) return false;
  return run.length >= 32 || (/[0-9]/.test(run) && /[A-Z]/.test(run) && /[a-z]/.test(run));
}

/** A token-shaped run known not to be a secret (a pubkey this daemon knows), shown whole. */
export type PublicRun = (run: string) => boolean;

/**
 * Cuts every token-shaped run in `text` to its first 6 characters followed by `…`, except runs
 * `isPublic` vouches for. Used on arguments, paths and messages that may carry a secret a caller
 * passed (audit rows, logs, error messages): at most 6 characters of a secret are ever shown.
 */
export function redact(text: string, isPublic?: PublicRun): string {
  // Shorter than any run worth cutting: a request kind, an id, a word (the socket's hot path).
  if (text.length < MIN_RUN) return text;
  return text.replace(BASE58_RUN, (run) => (tokenShaped(run) && !isPublic?.(run) ? `${secretPrefix(run)}…` : run));
}

/** A request kind as audit rows record it: at most 64 characters, token-shaped runs cut. */
export function recordedKind(kind: unknown): string | null {
  return typeof kind === 'string' ? redact(kind.slice(0, 64)) : null;
}
