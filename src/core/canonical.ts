import * as crypto from 'node:crypto';
import canonicalize from 'canonicalize';

/** RFC 8785 (JCS) canonical JSON text of a value. */
export function canonicalJson(value: unknown): string {
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
