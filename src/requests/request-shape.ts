import { CovenantError, cutInput, isWellFormedText } from '../core/index.js';

/** Deeper requests are refused: no request kind nests anywhere near this far. */
export const MAX_REQUEST_DEPTH = 64;

interface Place {
  value: unknown;
  depth: number;
  key: string;
  parent: Place | null;
}

/**
 * Refuses, before any handler sees it, a request that cannot be signed, hashed or audited as
 * given: a string or key with a lone UTF-16 surrogate (RFC 8785 canonical JSON has no form for
 * it), or nesting past MAX_REQUEST_DEPTH. Walks without recursion, so no input overflows the stack.
 */
export function checkRequestShape(kind: string, message: Record<string, unknown>): void {
  const stack: Place[] = [{ value: message, depth: 0, key: '', parent: null }];
  while (stack.length > 0) {
    const place = stack.pop()!;
    const { value, depth } = place;
    if (typeof value === 'string') {
      if (!isWellFormedText(value)) throw illFormed(kind, place);
      continue;
    }
    if (typeof value !== 'object' || value === null) continue;
    if (depth >= MAX_REQUEST_DEPTH) {
      throw new CovenantError(
        'E_BAD_REQUEST',
        `invalid ${kind} request: ${describe(place)} nests deeper than ${MAX_REQUEST_DEPTH} levels; send a flatter value`,
      );
    }
    for (const [key, item] of Object.entries(value)) {
      const child: Place = { value: item, depth: depth + 1, key, parent: place };
      if (!isWellFormedText(key)) throw illFormed(kind, child);
      stack.push(child);
    }
  }
}

function illFormed(kind: string, place: Place): CovenantError {
  return new CovenantError(
    'E_BAD_REQUEST',
    `invalid ${kind} request: ${describe(place)} holds a lone UTF-16 surrogate, which is not text; send well-formed Unicode strings`,
  );
}

/** `field a.b.0`, cut to the quoting limit; JSON escapes keep a lone surrogate in a key out of the message. */
function describe(place: Place): string {
  const keys: string[] = [];
  for (let at: Place | null = place; at?.parent; at = at.parent) keys.push(at.key);
  if (keys.length === 0) return 'the request';
  return `field ${JSON.stringify(cutInput(keys.reverse().join('.')))}`;
}
