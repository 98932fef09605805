import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { fromBase58, toBase58 } from '../core/index.js';

// DER prefixes that wrap a raw 32-byte ed25519 seed / public key (RFC 8410).
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface KeyPair {
  publicKey: Buffer;
  publicKeyB58: string;
  privateKey: KeyObject;
}

export function generateSeed(): Buffer {
  return randomBytes(32);
}

export function keyPairFromSeed(seed: Uint8Array): KeyPair {
  if (seed.length !== 32) throw new RangeError(`an ed25519 seed is 32 bytes, got ${seed.length}`);
  const privateKey = createPrivateKey({
    key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
  const publicKey = Buffer.from(spki.subarray(SPKI_ED25519_PREFIX.length));
  return { publicKey, publicKeyB58: toBase58(publicKey), privateKey };
}

export function signBytes(keys: KeyPair, message: Uint8Array): Buffer {
  return sign(null, message, keys.privateKey);
}

const publicKeyCache = new Map<string, KeyObject>();
const PUBLIC_KEY_CACHE_LIMIT = 1024;

function publicKeyObject(publicKeyB58: string): KeyObject | null {
  const cached = publicKeyCache.get(publicKeyB58);
  if (cached) return cached;
  const raw = fromBase58(publicKeyB58);
  if (!raw || raw.length !== 32) return null;
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, raw]), format: 'der', type: 'spki' });
  if (publicKeyCache.size >= PUBLIC_KEY_CACHE_LIMIT) publicKeyCache.clear();
  publicKeyCache.set(publicKeyB58, key);
  return key;
}

/** Verifies an ed25519 signature against a base58 public key; false on any malformed input. */
export function verifySignature(publicKeyB58: string, message: Uint8Array, signature: Uint8Array): boolean {
  if (signature.length !== 64) return false;
  try {
    const key = publicKeyObject(publicKeyB58);
    return key !== null && verify(null, message, key, signature);
  } catch {
    return false;
  }
}
