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
 * in the leaf only when set. A receipt with one set is encoded by the generic encoder (in JS;
 * SQLite writes its text like any other, storedLeafTextSql).
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
const INTEGER_KEYS: ReadonlySet<string> = new Set(['credits_consumed', 'settled_at', 'tokens_used']);
/**
 * Text fields the receipts table's CHECK constraints hold to a few ASCII words (`resource IN
 * ('compute', …)`, `status IN ('ok', 'failed')`, migration 016): always plain, never checked.
 */
const CHECKED_ASCII_KEYS: ReadonlySet<string> = new Set(['resource', 'status']);

/** `json_object` over `keys` (sorted here into RFC 8785 order: UTF-16 code units, as JS sorts strings). */
function jsonObjectSql(table: string, keys: readonly string[]): string {
  return `json_object(${[...keys].sort().map((key) => `'${key}', ${table}.${key}`).join(', ')})`;
}

/** Every subset of `keys`, each in the order of `keys`. */
function subsets(keys: readonly string[]): string[][] {
  return keys.reduce<string[][]>((all, key) => [...all, ...all.map((subset) => [...subset, key])], [[]]);
}

/**
 * The same canonical text built by SQLite, for a stored receipt whose every value has one
 * spelling in both encoders: integers within ±(2^53 − 1) (decimal digits either way), text or
 * NULL. `json_object` keeps its keys in the order given, escapes `"`, `\` and the control
 * characters as JSON.stringify does (the leaf-text test checks all 128 ASCII characters through a
 * real flush) and copies every other byte as it is, as JSON.stringify leaves every other
 * well-formed character; an optional field is in the object only when set (one branch per set of
 * them). Stored bytes that are not UTF-8 (only ever written from outside the daemon) are copied
 * too, and read back as the field alone is: the decoder replaces each bad sequence by U+FFFD and
 * starts afresh at the next ASCII byte, and a field's bytes are bounded by ASCII quotes (the test
 * stores some). For any other row (a float, a big integer, a BLOB) the expression is NULL and the
 * caller encodes the row itself (receiptLeafText). Doing it in SQL spares a JS array, nine values
 * and an object per receipt of a flush.
 */
export function storedLeafTextSql(table: string): string {
  const plain = [...LEAF_KEYS_CANONICAL.filter((key) => !CHECKED_ASCII_KEYS.has(key)), ...LEAF_OPTIONAL_KEYS]
    .map((key) =>
      INTEGER_KEYS.has(key)
        ? `(${table}.${key} IS NULL OR (typeof(${table}.${key}) = 'integer' AND ${table}.${key} BETWEEN -9007199254740991 AND 9007199254740991))`
        : `(${table}.${key} IS NULL OR typeof(${table}.${key}) = 'text')`,
    )
    .join(' AND ');
  const branches = subsets(LEAF_OPTIONAL_KEYS).map((set) => {
    const when = LEAF_OPTIONAL_KEYS.map((key) => `${table}.${key} IS ${set.includes(key) ? 'NOT NULL' : 'NULL'}`).join(' AND ');
    return `WHEN ${when} THEN ${jsonObjectSql(table, [...LEAF_KEYS_CANONICAL, ...set])}`;
  });
  return `CASE WHEN ${plain} THEN CASE ${branches.join(' ')} END END`;
}
