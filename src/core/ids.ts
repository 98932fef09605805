import { randomUUID, randomBytes } from 'node:crypto';
import bs58 from 'bs58';

export function newId(): string {
  return randomUUID();
}

export function toBase58(bytes: Uint8Array): string {
  return bs58.encode(bytes);
}

/** Decodes base58, returning null on any character outside the alphabet. */
export function fromBase58(text: string): Buffer | null {
  const decoded = bs58.decodeUnsafe(text);
  return decoded === undefined ? null : Buffer.from(decoded);
}

export function randomBase58(byteCount: number): string {
  return toBase58(randomBytes(byteCount));
}
