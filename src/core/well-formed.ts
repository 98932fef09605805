/** Whether a string is well-formed UTF-16 (no lone surrogate), so it has a UTF-8 form and a canonical JSON form. */
export function isWellFormedText(text: string): boolean {
  return text.isWellFormed();
}

/** The string with every lone surrogate replaced by U+FFFD, as a UTF-8 encoder would. */
export function wellFormedText(text: string): string {
  return text.isWellFormed() ? text : text.toWellFormed();
}

// Deeper values are left as they are (requests are refused past a much smaller depth).
const MAX_DEPTH = 512;

function isPlainObject(value: object): value is Record<string, unknown> {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * A JSON-shaped value whose strings (values and keys, at any depth) are well-formed. Returns the
 * value itself when nothing needed replacing; values that are not plain JSON pass unchanged.
 */
export function wellFormedJson<T>(value: T): T {
  return mapJsonStrings(value, wellFormedText);
}

/**
 * A JSON-shaped value with `map` applied to every string (values and keys, at any depth).
 * Returns the value itself when nothing changed, having copied nothing; values that are not
 * plain JSON pass unchanged.
 */
export function mapJsonStrings<T>(value: T, map: (text: string) => string, depth = 0): T {
  if (typeof value === 'string') return map(value) as T;
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) {
    const items: readonly unknown[] = value;
    let copy: unknown[] | null = null;
    items.forEach((item, index) => {
      const fixed = mapJsonStrings(item, map, depth + 1);
      if (fixed !== item) (copy ??= [...items])[index] = fixed;
    });
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  const keys = Object.keys(value);
  let entries: Array<readonly [string, unknown]> | null = null;
  keys.forEach((key, index) => {
    const item = value[key];
    const fixedKey = map(key);
    const fixed = mapJsonStrings(item, map, depth + 1);
    if (entries === null && (fixedKey !== key || fixed !== item)) entries = keys.slice(0, index).map((kept) => [kept, value[kept]] as const);
    entries?.push([fixedKey, fixed]);
  });
  return (entries === null ? value : Object.fromEntries(entries)) as T;
}
