import { timingSafeEqual } from 'node:crypto';
import { randomBase58, secretPrefix, sha256Hex } from '../core/index.js';

export function mintToken(): string {
  return randomBase58(32);
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

export function tokenPrefix(token: string): string {
  return secretPrefix(token);
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}

/**
 * Six characters of a presented (possibly bogus) token for an audit row, only when they are at
 * most half of it — a short string would be shown whole or nearly — and the token is not
 * oversized. Used by every transport that audits a refused token.
 */
export function auditTokenPrefix(token: unknown): string | null {
  return typeof token === 'string' && token.length >= 12 && token.length <= 256 ? token.slice(0, 6) : null;
}
