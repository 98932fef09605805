// Dependency-free so the CLI can check an intent before it connects.
/** The one answer to an intent with nothing in it, from the CLI (usage error) and the daemon alike. */
export const EMPTY_INTENT_MESSAGE = 'the intent is empty: say what you want done, e.g. `covenant intent summarize my notes`';

/** Empty, or only whitespace. */
export function isBlankIntent(text: string): boolean {
  return text.trim().length === 0;
}
