/**
 * The canonical text of a receipt's leaf, written out for its one fixed shape: the nine leaf
 * fields in RFC 8785 key order, each value a JSON scalar, in one native JSON.stringify. Byte for byte what the generic
 * `canonicalJson(receiptLeafObject(receipt))` gives (test/settlement/leaf-text.test.ts checks
 * it on many receipts), without sorting keys or walking objects: a flush of 10,000 receipts
 * spent more time in the generic encoder than in hashing. Any value that is not a plain
 * scalar (a lone surrogate, NaN, an object) goes to the generic encoder, which decides.
 */
import { canonicalJson, isWellFormedText } from '../core/index.js';

/** The leaf fields in RFC 8785 order (UTF-16 code units of the keys). */
export const LEAF_KEYS_CANONICAL = [
  'credits_consumed',
  'failure_reason',
  'id',
  'intent_id',
  'memory_record_id',
  'payer',
  'resource',
  'settled_at',
  'status',
] as const;

/**
 * Leaf fields added after receipts were first batched (proof.ts, RECEIPT_OPTIONAL_LEAF_FIELDS):
 * in the leaf only when set. A receipt with one set is encoded by the generic encoder.
 */
export const LEAF_OPTIONAL_KEYS = ['tokens_used'] as const;

/** A value JSON.stringify writes exactly as RFC 8785 does: null, a well-formed string, a finite number, a boolean. */
function isPlainScalar(value: unknown): boolean {
  if (value === null) return true;
  switch (typeof value) {
    case 'string':
      return isWellFormedText(value);
    case 'number':
      return Number.isFinite(value);
    case 'boolean':
      return true;
    default:
      return false;
  }
}

/**
 * Leaf values in LEAF_KEYS_CANONICAL order, from `values[offset]` on → canonical text; null
 * when one is not a plain scalar. JSON.stringify keeps the insertion order of these (non-index)
 * keys, and writes plain scalars as RFC 8785 does.
 */
export function fixedShapeLeafText(values: ArrayLike<unknown>, offset = 0): string | null {
  for (let i = 0; i < LEAF_KEYS_CANONICAL.length; i += 1) if (!isPlainScalar(values[offset + i])) return null;
  return JSON.stringify({
    credits_consumed: values[offset],
    failure_reason: values[offset + 1],
    id: values[offset + 2],
    intent_id: values[offset + 3],
    memory_record_id: values[offset + 4],
    payer: values[offset + 5],
    resource: values[offset + 6],
    settled_at: values[offset + 7],
    status: values[offset + 8],
  });
}

/** The canonical leaf text of a receipt (its leaf fields, absent ones as null, and the optional ones that are set). */
export function receiptLeafText(receipt: Record<string, unknown>): string {
  const values = LEAF_KEYS_CANONICAL.map((key) => receipt[key] ?? null);
  const optional = LEAF_OPTIONAL_KEYS.filter((key) => receipt[key] != null);
  const fixed = optional.length === 0 ? fixedShapeLeafText(values) : null;
  return fixed ?? canonicalJson(Object.fromEntries([...LEAF_KEYS_CANONICAL.map((key, i) => [key, values[i]]), ...optional.map((key) => [key, receipt[key]])]));
}

/** The leaf fields stored as integers; every other leaf field is text or NULL. */
const INTEGER_KEYS: ReadonlySet<string> = new Set(['credits_consumed', 'settled_at']);

/**
 * The same canonical text built by SQLite, for a stored receipt whose every value has one
 * spelling in both encoders: integers within ±(2^53 − 1) (decimal digits either way), ASCII
 * strings (`json_quote` escapes every ASCII character as JSON.stringify does; the leaf-text
 * test checks all 128 through a real flush) or NULL. For any
 * other row the expression is NULL and the caller encodes the row itself (fixedShapeLeafText).
 * Doing it in SQL spares a JS array, nine values and an object per receipt of a flush.
 */
export function storedLeafTextSql(table: string): string {
  const plain = LEAF_KEYS_CANONICAL.map((key) =>
    INTEGER_KEYS.has(key)
      ? `(typeof(${table}.${key}) = 'integer' AND ${table}.${key} BETWEEN -9007199254740991 AND 9007199254740991)`
      : `(${table}.${key} IS NULL OR (typeof(${table}.${key}) = 'text' AND octet_length(${table}.${key}) = length(${table}.${key})))`,
  )
    .concat(LEAF_OPTIONAL_KEYS.map((key) => `${table}.${key} IS NULL`))
    .join(' AND ');
  const text = LEAF_KEYS_CANONICAL.map(
    (key, i) => `'${i === 0 ? '{' : ','}"${key}":' || ${INTEGER_KEYS.has(key) ? `${table}.${key}` : `json_quote(${table}.${key})`}`,
  ).join(' || ');
  return `CASE WHEN ${plain} THEN ${text} || '}' END`;
}
