import { CovenantError, redact } from '../core/index.js';

/**
 * Action names are dotted paths: segments of `[A-Za-z0-9_@-]` joined by `.`, e.g.
 * `memory.repair.apply`, `tool.call.read_file`, `a2a.send.bob@laptop`. A granted action may end
 * in `.*`, which covers every action under that prefix (`memory.repair.*` covers
 * `memory.repair.apply` and `memory.repair.x.y`, not `memory.repair` itself). A bare `*` and a
 * `*` anywhere else are not allowed.
 */
export const ACTION_SEGMENT = /^[A-Za-z0-9_@-]+$/;
export const MAX_ACTION_LENGTH = 256;
export const ACTION_FORM =
  'dotted segments of letters, digits, "_", "-" or "@" (e.g. memory.repair.apply), optionally ending in ".*"';

/** Why an action name is malformed, or null when it is well formed. */
export function actionSyntaxError(action: unknown, options: { allowWildcard?: boolean } = {}): string | null {
  const allowWildcard = options.allowWildcard ?? true;
  if (typeof action !== 'string' || action.length === 0) return 'action must be a non-empty string';
  // Made only for a refusal: every checked request validates its action.
  const shown = () => redact(JSON.stringify(action.length > 80 ? `${action.slice(0, 80)}…` : action));
  if (action.length > MAX_ACTION_LENGTH) return `action ${shown()} is longer than ${MAX_ACTION_LENGTH} characters`;
  const segments = action.split('.');
  const wildcard = segments[segments.length - 1] === '*';
  if (wildcard) {
    if (!allowWildcard) return `action ${shown()} is a wildcard; a concrete action is needed here`;
    segments.pop();
    if (segments.length === 0) return `action ${shown()} is invalid: a bare "*" is not allowed; use a prefix such as memory.repair.*`;
  }
  for (const segment of segments) {
    if (!ACTION_SEGMENT.test(segment)) return `action ${shown()} is invalid: use ${ACTION_FORM}`;
  }
  return null;
}

/** Throws E_CAPABILITY_INVALID naming the allowed form when the action is malformed. */
export function assertValidAction(action: unknown, options: { allowWildcard?: boolean } = {}): asserts action is string {
  const error = actionSyntaxError(action, options);
  if (error !== null) throw new CovenantError('E_CAPABILITY_INVALID', error);
}

export function isWildcardAction(action: string): boolean {
  return action.endsWith('.*');
}

/**
 * Does a granted action cover the required one? Equal, or the granted action ends in `.*` and
 * the required action starts with the granted prefix (including its dot). Works for a required
 * wildcard too: `memory.*` covers `memory.repair.*`, `memory.repair.apply` does not.
 */
export function actionMatches(granted: string, required: string): boolean {
  if (granted === required) return true;
  if (!isWildcardAction(granted)) return false;
  const prefix = granted.slice(0, -1); // keep the trailing dot
  return prefix.length > 1 && required.startsWith(prefix) && required.length > prefix.length;
}

/** Granted to the operator on first start and re-granted idempotently by `covenant bootstrap` (SPEC 5). */
export const OPERATOR_DEFAULT_ACTIONS = [
  'intent.submit',
  'memory.read',
  'memory.write',
  'audit.read',
  'peers.list',
  'chain.receipts',
  'chain.batches',
  'model.chat',
  'model.embed',
] as const;

function shellWord(word: string): string {
  return /^[A-Za-z0-9_@.:/+=-]+$/.test(word) && !word.startsWith('-') ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The exact CLI line that grants `action` (to `subjectDisplay` when given). */
export function grantCommandFor(action: string, subjectDisplay?: string): string {
  const base = `covenant capabilities grant ${shellWord(action)}`;
  return subjectDisplay === undefined ? base : `${base} --to ${shellWord(subjectDisplay)}`;
}
