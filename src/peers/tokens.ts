import { createHash, timingSafeEqual } from 'node:crypto';
import { randomBase58, secretPrefix } from '../core/index.js';

export function mintToken(): string {
  return randomBase58(32);
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

export function tokenPrefix(token: string): string {
  return secretPrefix(token);
}

export function hashesEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'hex');
  const right = Buffer.from(b, 'hex');
  return left.length === right.length && timingSafeEqual(left, right);
}
