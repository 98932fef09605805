/**
 * Capability scopes.
 *
 * A scope is a JSON object that narrows what a capability allows. An empty scope `{}`
 * restricts nothing. The keys (any other key is refused at grant time with
 * E_CAPABILITY_INVALID naming the key):
 *
 * - `delegate: boolean` — the holder may re-grant the same action (or an action its wildcard
 *   covers) to another peer with an equal or narrower scope and an earlier or equal expiry.
 *   It does not restrict requests. A child may only say `delegate: true` when its parent does.
 * - `tier: string | string[]` — memory tiers. A request is admitted only when it names its
 *   tier(s) (`facts.tier`) and every one of them is listed.
 * - `arguments: {name: JSON}` — pinned tool-call arguments. A request is admitted only when it
 *   carries `facts.arguments` and each pinned key is present with an equal value (compared as
 *   RFC 8785 canonical JSON). Arguments that are not pinned are free.
 * - `max_before_ms: integer >= 0` — purge cutoff limit. A request is admitted only when it
 *   names its cutoff (`facts.before_ms`) and the cutoff is <= this value.
 * - `agents: string[]` — agent ids an intent may be routed to. A request is admitted only when
 *   it names its agent (`facts.agent`) and the agent is listed.
 *
 * Restrictions fail closed: when a scope restricts something the request does not state, the
 * request is refused. Facts the scope does not restrict are ignored.
 *
 * Attenuation (`isNarrowerOrEqual(child, parent)`): the child keeps every restriction of the
 * parent: listed tiers/agents are subsets of the parent's lists, pinned arguments include
 * every parent pin with an equal value (more pins are fine), `max_before_ms` is <= the
 * parent's, and `delegate: true` needs the parent's `delegate: true`.
 */
import { z } from 'zod';
import { canonicalJson, CovenantError, cutInput, quoteInput } from '../core/index.js';

export const SCOPE_KEYS = ['delegate', 'tier', 'arguments', 'max_before_ms', 'agents'] as const;
export type ScopeKey = (typeof SCOPE_KEYS)[number];
export const MAX_SCOPE_BYTES = 8192;

const Name = z.string().min(1).max(256);

export const ScopeSchema = z.strictObject({
  delegate: z.boolean().optional(),
  tier: z.union([Name, z.array(Name).min(1).max(64)]).optional(),
  arguments: z.record(z.string().min(1), z.json()).optional(),
  max_before_ms: z.number().int().nonnegative().optional(),
  agents: z.array(Name).min(1).max(256).optional(),
});

export type Scope = z.infer<typeof ScopeSchema>;

/** What a request states about itself, for scope admission. */
export interface RequestFacts {
  /** The memory tier(s) the request touches. */
  tier?: string | readonly string[];
  /** The tool call's arguments. */
  arguments?: Record<string, unknown>;
  /** A purge request's cutoff. */
  before_ms?: number;
  /** The agent an intent is routed to. */
  agent?: string;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Why a scope is malformed, or null when it is a valid scope. */
export function scopeError(scope: unknown): string | null {
  if (!isPlainObject(scope)) return 'scope must be a JSON object, e.g. {"tier":"working"} or {}';
  for (const key of Object.keys(scope)) {
    if (!(SCOPE_KEYS as readonly string[]).includes(key)) {
      return `unknown scope key ${quoteInput(key)}; allowed keys: ${SCOPE_KEYS.join(', ')}`;
    }
  }
  const parsed = ScopeSchema.safeParse(scope);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'scope';
    return `invalid scope key ${quoteInput(where)}: ${cutInput(issue?.message ?? 'invalid value')}`;
  }
  let text: string;
  try {
    text = canonicalJson(scope);
  } catch {
    return 'scope is not representable as JSON';
  }
  if (Buffer.byteLength(text) > MAX_SCOPE_BYTES) return `scope is larger than ${MAX_SCOPE_BYTES} bytes`;
  return null;
}

/**
 * Validates a scope and returns its normalised JSON form (what is signed and stored).
 * Throws E_CAPABILITY_INVALID naming the offending key.
 */
export function parseScope(scope: unknown): Scope {
  const error = scopeError(scope);
  if (error !== null) throw new CovenantError('E_CAPABILITY_INVALID', error);
  return JSON.parse(canonicalJson(ScopeSchema.parse(scope))) as Scope;
}

function asList(value: string | readonly string[] | undefined): readonly string[] | undefined {
  if (value === undefined) return undefined;
  return typeof value === 'string' ? [value] : value;
}

function jsonEqual(a: unknown, b: unknown): boolean {
  try {
    return canonicalJson(a) === canonicalJson(b);
  } catch {
    return false;
  }
}

/** Why a scope does not admit a request, and what the caller can do about it (CLI flags named). */
export interface ScopeDenial {
  reason: string;
  fix: string;
}

function listed(names: readonly string[]): string {
  return names.length === 1 ? names[0]! : `one of ${names.join(', ')}`;
}

/** Why the scope does not admit the request and the fix, or null when it does. */
export function scopeDenial(scope: Scope, facts: RequestFacts = {}): ScopeDenial | null {
  const tiers = asList(scope.tier);
  if (tiers !== undefined) {
    const asked = asList(facts.tier);
    if (asked === undefined || asked.length === 0) {
      return { reason: `scope limits tier to ${tiers.join(', ')} and the request names no tier`, fix: `name ${listed(tiers)}: --tier ${tiers[0]!}` };
    }
    const outside = asked.find((t) => !tiers.includes(t));
    if (outside !== undefined) {
      return { reason: `scope limits tier to ${tiers.join(', ')}, not ${outside}`, fix: `use ${listed(tiers)} (--tier ${tiers[0]!}), or ask for a grant that covers ${outside}` };
    }
  }
  if (scope.arguments !== undefined) {
    const args = facts.arguments;
    const fix = `call it with the pinned arguments ${cutInput(canonicalJson(scope.arguments))}`;
    if (!isPlainObject(args)) return { reason: 'scope pins tool arguments and the request carries none', fix };
    for (const [key, pinned] of Object.entries(scope.arguments)) {
      if (!Object.hasOwn(args, key)) return { reason: `scope pins argument ${quoteInput(key)} and the request omits it`, fix };
      if (!jsonEqual(args[key], pinned)) return { reason: `scope pins argument ${quoteInput(key)} to ${cutInput(canonicalJson(pinned))}`, fix };
    }
  }
  if (scope.max_before_ms !== undefined) {
    const before = facts.before_ms;
    const fix = `use a cutoff at or before ${scope.max_before_ms} (--before-ms ${scope.max_before_ms})`;
    if (typeof before !== 'number' || !Number.isFinite(before)) {
      return { reason: `scope limits purges to before_ms <= ${scope.max_before_ms} and the request names no cutoff`, fix };
    }
    if (before > scope.max_before_ms) return { reason: `scope limits purges to before_ms <= ${scope.max_before_ms}, not ${before}`, fix };
  }
  if (scope.agents !== undefined) {
    const agents = scope.agents;
    if (typeof facts.agent !== 'string') {
      return { reason: `scope limits agents to ${agents.join(', ')} and the request names none`, fix: `name ${listed(agents)}: --agent ${agents[0]!}` };
    }
    if (!agents.includes(facts.agent)) {
      return { reason: `scope limits agents to ${agents.join(', ')}, not ${facts.agent}`, fix: `use ${listed(agents)}, or ask for a grant that covers ${facts.agent}` };
    }
  }
  return null;
}

/** Why the scope does not admit the request, or null when it does. */
export function scopeRefusal(scope: Scope, facts: RequestFacts = {}): string | null {
  return scopeDenial(scope, facts)?.reason ?? null;
}

/** Does the scope admit a request with these facts? */
export function scopeAdmits(scope: Scope, facts: RequestFacts = {}): boolean {
  return scopeRefusal(scope, facts) === null;
}

/** Why `child` is wider than `parent` in some respect, or null when it is narrower or equal. */
export function wideningReason(child: Scope, parent: Scope): string | null {
  if (child.delegate === true && parent.delegate !== true) return 'delegate: true needs a parent with delegate: true';
  const parentTiers = asList(parent.tier);
  if (parentTiers !== undefined) {
    const childTiers = asList(child.tier);
    if (childTiers === undefined) return `scope drops the parent's tier limit (${parentTiers.join(', ')})`;
    const extra = childTiers.find((t) => !parentTiers.includes(t));
    if (extra !== undefined) return `scope adds tier ${extra} outside the parent's ${parentTiers.join(', ')}`;
  }
  if (parent.agents !== undefined) {
    if (child.agents === undefined) return `scope drops the parent's agents limit (${parent.agents.join(', ')})`;
    const extra = child.agents.find((a) => !parent.agents!.includes(a));
    if (extra !== undefined) return `scope adds agent ${extra} outside the parent's ${parent.agents.join(', ')}`;
  }
  if (parent.arguments !== undefined) {
    if (child.arguments === undefined) return "scope drops the parent's pinned arguments";
    for (const [key, pinned] of Object.entries(parent.arguments)) {
      if (!Object.hasOwn(child.arguments, key)) return `scope drops the parent's pin on argument ${quoteInput(key)}`;
      if (!jsonEqual(child.arguments[key], pinned)) return `scope changes the parent's pin on argument ${quoteInput(key)}`;
    }
  }
  if (parent.max_before_ms !== undefined) {
    if (child.max_before_ms === undefined) return `scope drops the parent's max_before_ms (${parent.max_before_ms})`;
    if (child.max_before_ms > parent.max_before_ms) {
      return `scope raises max_before_ms to ${child.max_before_ms} above the parent's ${parent.max_before_ms}`;
    }
  }
  return null;
}

/** Attenuation: is `child` at most as permissive as `parent`? */
export function isNarrowerOrEqual(child: Scope, parent: Scope): boolean {
  return wideningReason(child, parent) === null;
}

/** A scope that restricts no request (only `delegate` may be set). */
export function isUnrestricted(scope: Scope): boolean {
  return Object.keys(scope).every((key) => key === 'delegate');
}
