import { z } from 'zod';
import { CovenantError } from '../../core/errors.js';

/** Every `purge` takes exactly one of these; `older_than_ms` resolves to now − D. */
export const PurgeCutoffParams = {
  before_ms: z.number().int().nonnegative().optional(),
  older_than_ms: z.number().int().nonnegative().optional(),
};

const resolved = new WeakMap<object, number>();

/**
 * Resolves a purge cutoff once per parsed request, so the cutoff a capability scope is checked
 * against is exactly the one the handler applies. A cutoff in the future is refused.
 */
export function resolvePurgeCutoff(params: { before_ms?: number; older_than_ms?: number }, now = Date.now()): number {
  const cached = resolved.get(params);
  if (cached !== undefined) return cached;
  if ((params.before_ms === undefined) === (params.older_than_ms === undefined)) {
    throw new CovenantError('E_BAD_REQUEST', 'give exactly one of before_ms (--before-ms) or older_than_ms (--older-than-ms)');
  }
  const beforeMs = params.before_ms ?? now - params.older_than_ms!;
  if (beforeMs > now) throw new CovenantError('E_BAD_REQUEST', `purge cutoff ${beforeMs} is in the future; purge only what is already old`);
  if (beforeMs < 0) throw new CovenantError('E_BAD_REQUEST', 'purge cutoff is before the epoch; use a smaller --older-than-ms');
  resolved.set(params, beforeMs);
  return beforeMs;
}
