import type { z } from 'zod';

/** The zod 4 definition of a schema, read structurally (no dependency on zod's classes). */
interface SchemaDef {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  element?: z.ZodType;
  values?: unknown[];
  getter?: () => z.ZodType;
}

function defOf(schema: z.ZodType | undefined): SchemaDef | undefined {
  return (schema as unknown as { _zod?: { def?: SchemaDef } } | undefined)?._zod?.def;
}

/** Strips optional/default/nullable/readonly/catch/pipe/lazy wrappers down to the value's schema. */
function unwrap(schema: z.ZodType | undefined): SchemaDef | undefined {
  let def = defOf(schema);
  for (let depth = 0; def && depth < 16; depth += 1) {
    if (def.innerType) def = defOf(def.innerType);
    else if (def.type === 'pipe' && def.in) def = defOf(def.in);
    else if (def.type === 'lazy' && def.getter) def = defOf(def.getter());
    else break;
  }
  return def;
}

type Scalar = 'number' | 'boolean' | 'string';

function scalarOf(def: SchemaDef | undefined): Scalar {
  if (!def) return 'string';
  if (def.type === 'number') return 'number';
  if (def.type === 'boolean') return 'boolean';
  if (def.type === 'literal' && def.values?.length) {
    if (def.values.every((v) => typeof v === 'number')) return 'number';
    if (def.values.every((v) => typeof v === 'boolean')) return 'boolean';
  }
  return 'string';
}

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Converts one text value to what the schema expects; a value that does not convert is
 * passed through unchanged so the schema rejects it with its own message.
 */
function convert(text: string, scalar: Scalar): unknown {
  if (scalar === 'number') return NUMERIC.test(text.trim()) ? Number(text) : text;
  if (scalar === 'boolean') {
    const lowered = text.trim().toLowerCase();
    if (lowered === '' || lowered === 'true' || lowered === '1') return true;
    if (lowered === 'false' || lowered === '0') return false;
    return text;
  }
  return text;
}

/**
 * Parameters from text (a query string or path parameters), shaped by the request's schema:
 * a key given once is a string, repeated is an array; fields the schema types as numbers or
 * booleans are converted; an array field always gets an array. Unknown keys are kept as
 * text and left for the schema to strip.
 */
export function paramsFromText(schema: z.ZodObject, values: Record<string, string[]>): Record<string, unknown> {
  const shape = schema.shape as Record<string, z.ZodType>;
  const params: Record<string, unknown> = {};
  for (const [key, texts] of Object.entries(values)) {
    if (texts.length === 0) continue;
    const field = Object.hasOwn(shape, key) ? unwrap(shape[key]) : undefined;
    if (field?.type === 'array') {
      const scalar = scalarOf(unwrap(field.element));
      params[key] = texts.map((text) => convert(text, scalar));
      continue;
    }
    const scalar = scalarOf(field);
    params[key] = texts.length === 1 ? convert(texts[0]!, scalar) : texts.map((text) => convert(text, scalar));
  }
  return params;
}

export type BodyResult = { ok: true; value: Record<string, unknown> } | { ok: false; code: 'E_INVALID_JSON' | 'E_BAD_REQUEST'; message: string };

/** A POST body: UTF-8 JSON object; an empty body means `{}`. */
export function parseJsonBody(bytes: Uint8Array): BodyResult {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, code: 'E_INVALID_JSON', message: 'the request body is not valid UTF-8; send one JSON object' };
  }
  if (text.trim() === '') return { ok: true, value: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // Only the position: the parser's own message can quote the body, which may hold a secret.
    const position = error instanceof Error ? /at position (\d+)/.exec(error.message)?.[1] : undefined;
    const where = position === undefined ? '' : ` (error at character ${position})`;
    return { ok: false, code: 'E_INVALID_JSON', message: `the request body is not valid JSON${where}; send one JSON object` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, code: 'E_BAD_REQUEST', message: 'the request body must be a JSON object of the request parameters' };
  }
  return { ok: true, value: value as Record<string, unknown> };
}
