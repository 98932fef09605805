/** Whether a string is well-formed UTF-16 (no lone surrogate), so it has a UTF-8 form and a canonical JSON form. */
export function isWellFormedText(text: string): boolean {
  return text.isWellFormed();
}

/** The string with every lone surrogate replaced by U+FFFD, as a UTF-8 encoder would. */
export function wellFormedText(text: string): string {
  return text.toWellFormed();
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
  return isWellFormedJson(value) ? value : mapJsonStrings(value, wellFormedText);
}

/** Whether `wellFormedJson` would leave the value as it is (looked at without copying anything). */
function isWellFormedJson(value: unknown, depth = 0): boolean {
  if (typeof value === 'string') return value.isWellFormed();
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return true;
  if (Array.isArray(value)) return (value as readonly unknown[]).every((item) => isWellFormedJson(item, depth + 1));
  if (!isPlainObject(value)) return true;
  for (const key in value) {
    if (Object.hasOwn(value, key) && !(key.isWellFormed() && isWellFormedJson(value[key], depth + 1))) return false;
  }
  return true;
}

/**
 * A JSON-shaped value with `map` applied to every string (values and keys, at any depth).
 * Returns the value itself when nothing changed; values that are not plain JSON pass unchanged.
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
  let changed = false;
  const entries = Object.entries(value).map(([key, item]) => {
    const fixedKey = map(key);
    const fixed = mapJsonStrings(item, map, depth + 1);
    if (fixedKey !== key || fixed !== item) changed = true;
    return [fixedKey, fixed] as const;
  });
  return (changed ? Object.fromEntries(entries) : value) as T;
}
