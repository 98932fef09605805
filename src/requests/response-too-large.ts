import { CovenantError } from '../core/index.js';

/**
 * The answer in place of a reply too large for one frame (or one HTTP body): how large it would
 * have been and how to ask for less. `requestKind` is a known request kind or null.
 */
export function responseTooLarge(requestKind: string | null, bytes: number, limit: number): CovenantError {
  const what = requestKind ? `the reply to ${requestKind}` : 'the reply';
  const size = `${(bytes / 1_000_000).toFixed(1)} MB`;
  return new CovenantError(
    'E_RESPONSE_TOO_LARGE',
    `${what} would be ${size}, over the ${limit}-byte (${Math.round(limit / 1024 / 1024)} MiB) limit; ask for less: ` +
      'fewer rows (e.g. `-n 50`, or "limit": 50) or a narrower filter (a tier, a query, a kind)',
  );
}
