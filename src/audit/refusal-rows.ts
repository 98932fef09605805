import { mapJsonStrings, redact, type PublicRun } from '../core/index.js';
import { statement, type Db } from '../store/index.js';

/** Kinds that always record a refusal, besides the `*_rejected`, `*_refused`, `*_denied` and `*_failed` kinds. */
const REFUSAL_KINDS = new Set(['rate_limited', 'budget_exhausted', 'budget_preempted']);

/**
 * Whether a row records a refusal (or a failure told to a caller): its payload may quote what
 * the caller sent. A `capability_check` that failed and a `tool_call_completed` that did not
 * reach the tool are refusals too.
 */
export function isRefusalRow(kind: string, payload: unknown): boolean {
  if (REFUSAL_KINDS.has(kind) || /_(rejected|refused|denied|failed)$/.test(kind)) return true;
  const fields = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  if (kind === 'capability_check') return fields.passed === false;
  if (kind === 'tool_call_completed') return typeof fields.outcome === 'string' && fields.outcome !== 'ok' && fields.outcome !== 'tool_error';
  return false;
}

const KNOWN_PUBKEY = `SELECT 1 FROM peers WHERE pubkey = ? UNION ALL SELECT 1 FROM identity_keys WHERE pubkey = ? LIMIT 1`;

/**
 * The token-shaped runs that are not secrets: the daemon's own pubkey and every pubkey it knows
 * (the peers table, revoked included, and the identities it holds keys for). A token is 32
 * random bytes like a pubkey, so no shape tells them apart, but a token never equals a known
 * pubkey: these stay whole in refusals, anything else token-shaped is cut
 * (docs/security-model.md, "Secrets a caller passes").
 */
export function knownPubkeys(db: Db, own: string): PublicRun {
  return (run) => run === own || ((run.length === 43 || run.length === 44) && statement(db, KNOWN_PUBKEY).get(run, run) !== undefined);
}

/** Every string of a refusal's payload (values and keys) with its token-shaped runs cut to 6 characters. */
export function redactRefusal<T>(payload: T, isPublic: PublicRun): T {
  return mapJsonStrings(payload, (text) => redact(text, isPublic));
}
