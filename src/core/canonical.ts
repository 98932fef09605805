import * as crypto from 'node:crypto';
import canonicalize from 'canonicalize';

/** Returned by `plain` for a value it leaves to the library. */
const NOT_PLAIN = Symbol('not plain JSON');
/** Deeper values (or a cycle) go to the library, which reports cycles. */
const PLAIN_DEPTH = 64;

/**
 * The canonical text of plain JSON data — well-formed strings, finite numbers, booleans, null,
 * dense arrays and plain objects without `toJSON` — built as `canonicalize` builds it (the same
 * JSON.stringify of each string and number, keys sorted by the same default sort, undefined
 * members skipped) without its per-character surrogate scan and its cycle set. Anything else
 * (undefined, functions, symbols and bigints as values, sparse arrays, class instances, lone
 * surrogates, non-finite numbers) is NOT_PLAIN: the library handles it, or refuses it, as before.
 */
function plain(value: unknown, depth: number): string | typeof NOT_PLAIN {
  switch (typeof value) {
    case 'string':
      return value.isWellFormed() ? JSON.stringify(value) : NOT_PLAIN;
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : NOT_PLAIN;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth > PLAIN_DEPTH || typeof (value as { toJSON?: unknown }).toJSON === 'function') return NOT_PLAIN;
      if (Array.isArray(value)) {
        const items: readonly unknown[] = value;
        let text = '[';
        for (let i = 0; i < items.length; i += 1) {
          if (!(i in items)) return NOT_PLAIN;
          const item = items[i];
          const part = item === undefined || typeof item === 'symbol' ? 'null' : plain(item, depth + 1);
          if (part === NOT_PLAIN) return NOT_PLAIN;
          text += i === 0 ? part : `,${part}`;
        }
        return `${text}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const object = value as Record<string, unknown>;
      let text = '{';
      let first = true;
      for (const key of Object.keys(object).sort()) {
        const member = object[key];
        if (member === undefined || typeof member === 'symbol') continue;
        if (!key.isWellFormed()) return NOT_PLAIN;
        const part = plain(member, depth + 1);
        if (part === NOT_PLAIN) return NOT_PLAIN;
        text += `${first ? '' : ','}${JSON.stringify(key)}:${part}`;
        first = false;
      }
      return `${text}}`;
    }
    default:
      return NOT_PLAIN;
  }
}

/** RFC 8785 (JCS) canonical JSON text of a value. */
export function canonicalJson(value: unknown): string {
  const fast = plain(value, 0);
  if (fast !== NOT_PLAIN) return fast;
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value cannot be canonicalised as JSON');
  return text;
}

type OneShotHash = (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string;
/** `crypto.hash` (Node 20.12+): several times faster than createHash for one small input. */
const oneShotHash = (crypto as { hash?: OneShotHash }).hash;

export function sha256Hex(data: string | Uint8Array): string {
  return oneShotHash ? oneShotHash('sha256', data, 'hex') : crypto.createHash('sha256').update(data).digest('hex');
}
