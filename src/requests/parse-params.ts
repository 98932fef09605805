import type { z } from 'zod';
import type { RequestDefinition } from '../protocol/index.js';

type Parsed = ReturnType<z.ZodObject['safeParse']>;

/** Per request schema: whether it takes `{}` as `{}` (nothing required, nothing defaulted, nothing transformed). */
const takesEmpty = new WeakMap<z.ZodObject, boolean>();

function acceptsEmpty(schema: z.ZodObject): boolean {
  let known = takesEmpty.get(schema);
  if (known === undefined) {
    const parsed = schema.safeParse({});
    known = parsed.success && Object.getPrototypeOf(parsed.data) === Object.prototype && Object.keys(parsed.data).length === 0;
    takesEmpty.set(schema, known);
  }
  return known;
}

function isEmpty(params: Record<string, unknown>): boolean {
  for (const _key in params) return false;
  return true;
}

/**
 * A request's parameters through its schema. A request without parameters to a kind whose
 * schema is known to answer `{}` with a new `{}` (learnt once, from the schema itself) gets
 * that answer without the parse: what most reads send (`tools_list`, `status`, `ping`).
 */
export function parseParams(definition: RequestDefinition, params: Record<string, unknown>): Parsed {
  if (isEmpty(params) && acceptsEmpty(definition.params)) return { success: true, data: {} };
  return definition.params.safeParse(params);
}
