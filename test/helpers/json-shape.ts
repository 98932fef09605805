/**
 * The shape of a JSON value, for comparing a real reply with a golden one: every key path with
 * the JSON type found there. Array elements share the path `[]`, so an array's shape is the union
 * of its elements' shapes (an empty array has none). Values do not count, except where `keepValue`
 * says so (a discriminator such as `kind`), so ids, hashes, times, counts and free text may differ.
 */
export interface ShapeOptions {
  /** Whether the value under `key` counts as shape (`kind`: another kind is another shape). */
  keepValue?: (key: string, value: string | number | boolean) => boolean;
  /** Paths (`$.checks[].fix`) whose JSON type may vary, e.g. with the host: recorded as `any`. */
  anyType?: readonly string[];
}

function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

export function jsonShape(value: unknown, options: ShapeOptions = {}): string[] {
  const shape = new Set<string>();
  const walk = (at: unknown, path: string, key: string): void => {
    if (options.anyType?.includes(path)) {
      shape.add(`${path}: any`);
      return;
    }
    const type = jsonType(at);
    const kept = (typeof at === 'string' || typeof at === 'number' || typeof at === 'boolean') && (options.keepValue?.(key, at) ?? false);
    shape.add(kept ? `${path}: ${type} = ${JSON.stringify(at)}` : `${path}: ${type}`);
    if (Array.isArray(at)) for (const item of at) walk(item, `${path}[]`, key);
    else if (type === 'object') for (const [name, item] of Object.entries(at as object)) walk(item, `${path}.${name}`, name);
  };
  walk(value, '$', '');
  return [...shape].sort();
}

/** What differs between two shapes: `- path: type` only in `expected`, `+ path: type` only in `actual`. */
export function shapeDifferences(expected: unknown, actual: unknown, options?: ShapeOptions): string[] {
  const want = jsonShape(expected, options);
  const got = jsonShape(actual, options);
  const gotSet = new Set(got);
  const wantSet = new Set(want);
  return [...want.filter((line) => !gotSet.has(line)).map((line) => `- ${line}`), ...got.filter((line) => !wantSet.has(line)).map((line) => `+ ${line}`)];
}
