import type { AuditLog } from '../audit/index.js';
import { CovenantError, fromBase58, newId, redact, secretPrefix, type Clock, type ErrorCode } from '../core/index.js';
import { AgentIdSchema, sameAgent, type AgentId, type KeyPair } from '../identity/index.js';
import type { Db } from '../store/index.js';
import { actionMatches, assertValidAction, grantCommandFor, OPERATOR_DEFAULT_ACTIONS } from './actions.js';
import {
  CapabilitySchema,
  signCapability,
  signingText,
  verifyCapabilitySignature,
  type Capability,
  type CapabilityRecord,
  type UnsignedCapability,
} from './capability.js';
import { isKnownAction, unknownActionMessage } from './catalogue.js';
import { isUnrestricted, parseScope, scopeDenial, scopeError, wideningReason, type RequestFacts, type Scope, type ScopeDenial } from './scope.js';
import { CapabilityStore, isStoredRecord } from './store.js';

/** A delegation chain (root grant included) has at most this many links. */
export const MAX_CHAIN_DEPTH = 8;
export const DEFAULT_RECENT_LIMIT = 20;
export const MAX_RECENT_LIMIT = 1000;

export interface CapabilityServiceDeps {
  db: Db;
  audit: AuditLog;
  /** The trust root: grants by the operator are signed with this key. */
  daemon: { agentId: AgentId; keys: KeyPair };
  clock: Clock;
  /** The keypair the daemon holds for a peer (used to sign that peer's delegated grants). */
  keyFor: (pubkey: string) => KeyPair | null;
}

export interface GrantInput {
  caller: AgentId;
  callerIsOperator: boolean;
  action: string;
  /** Defaults to the caller. */
  subject?: AgentId;
  /**
   * `--to` as the caller gave it (a display name or pubkey prefix), resolved by `resolveTo`
   * only once the caller may grant to others: a caller who may not gets one refusal, whatever
   * the name, before any lookup (no peer enumeration, no pubkey prefix probing).
   */
  to?: string;
  resolveTo?: (name: string) => AgentId;
  /** Defaults to `{}`. */
  scope?: unknown;
  /** Epoch ms; null or absent = perpetual. */
  expiresAt?: number | null;
  /**
   * A grant asked for over a transport: the action must be in the catalogue (catalogue.ts) or
   * declared by an installed agent's manifest, unless `allowUnknown` (`--allow-unknown-action`).
   * Absent for the daemon's own grants (bootstrap).
   */
  actionCheck?: { declared: () => Iterable<string>; allowUnknown: boolean };
}

export interface CheckInput {
  caller: AgentId;
  required: string;
  facts?: RequestFacts;
  /** Only shapes the grant command in the refusal (no `--to` for the operator). */
  callerIsOperator?: boolean;
}

export interface CheckResult {
  passed: boolean;
  capability_id?: string;
  missing?: string;
  /** Why the nearest candidate was refused (absent when passed). */
  reason?: string;
  /** The caller holds the action, but the scope of its verified capability does not admit the request. */
  scoped?: ScopeDenial & { capability_id: string };
}

export type ChainVerdict = { ok: true; depth: number } | { ok: false; reason: string };

export interface RevokeResult {
  id: string;
  removed: string[];
}

/** Caller input quoted in an audit row: at most `max` characters (the audit writer cuts secrets in refusal rows). */
function shorten(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

function rejected(reason: string): CovenantError {
  return new CovenantError('E_GRANT_REJECTED', `grant rejected: ${reason}`);
}

/**
 * Capabilities whose own content passed every check (schema, scope, signature), keyed by exactly
 * what those checks read: the grantor's key, the signature and the signed text. Every request
 * re-walks its chain; the same content passes again without the schema, the scope parse and the
 * signature. Only successes are remembered; revocation, expiry and the chain are checked each time.
 * A record the store made (deeply frozen) is also remembered as itself, so the store's remembered
 * lookups pass again without even the signed text being made.
 */
const soundContents = new Set<string>();
const SOUND_CONTENTS_LIMIT = 10_000;
const soundRecords = new WeakSet<CapabilityRecord>();

/** Why a capability's own content does not verify, or null. */
function contentFault(cap: CapabilityRecord): string | null {
  if (soundRecords.has(cap)) return null;
  const fault = contentFaultByText(cap);
  if (fault === null && isStoredRecord(cap)) soundRecords.add(cap);
  return fault;
}

/** `contentFault` by what the checks read (soundContents): the signed text, built for every record. */
function contentFaultByText(cap: CapabilityRecord): string | null {
  let key: string | null;
  try {
    key = `${cap.granted_by.pubkey}\n${cap.signature_b58}\n${signingText(cap)}`;
  } catch {
    key = null; // malformed: the checks below say how
  }
  if (key !== null && soundContents.has(key)) return null;
  if (!CapabilitySchema.safeParse(cap).success) return `capability ${cap.id} is malformed`;
  if (scopeError(cap.scope) !== null) return `capability ${cap.id} has an invalid scope`;
  if (!verifyCapabilitySignature(cap)) return `signature of capability ${cap.id} does not verify against its grantor's key`;
  if (key !== null) {
    if (soundContents.size >= SOUND_CONTENTS_LIMIT) soundContents.clear();
    soundContents.add(key);
  }
  return null;
}

/** The refusals of a grant, each audited as `capability_grant_rejected`. */
const GRANT_REFUSALS: readonly string[] = ['E_GRANT_REJECTED', 'E_CAPABILITY_INVALID', 'E_UNKNOWN_ACTION'] satisfies ErrorCode[];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * A revoke target as shown in a refusal and its audit row: a capability id whole, anything
 * else (a signature, or a token pasted by mistake) by its first 6 characters.
 */
function revokeTarget(target: unknown): string {
  const text = String(target);
  return UUID.test(text) || text.length <= 6 ? text : `${secretPrefix(text)}…`;
}

/**
 * Signed grants, delegation, checks, revocation and purge (SPEC 5). Every state change and
 * every refusal writes its audit row in the same transaction; a refused grant or revoke commits
 * its refusal row before the error is thrown. Call these outside any enclosing transaction
 * that may roll back, or the refusal row goes with it.
 */
export class CapabilityService {
  readonly store: CapabilityStore;
  private readonly db: Db;
  private readonly audit: AuditLog;
  private readonly daemon: { agentId: AgentId; keys: KeyPair };
  private readonly clock: Clock;
  private readonly keyFor: (pubkey: string) => KeyPair | null;

  constructor(deps: CapabilityServiceDeps) {
    this.db = deps.db;
    this.audit = deps.audit;
    this.daemon = deps.daemon;
    this.clock = deps.clock;
    this.keyFor = deps.keyFor;
    this.store = new CapabilityStore(deps.db);
  }

  private isOperator(caller: AgentId, flag?: boolean): boolean {
    return flag === true || sameAgent(caller, this.daemon.agentId);
  }

  // ---------------------------------------------------------------- grant

  /**
   * Grants `action` to `subject` (default: the caller). The operator's grants are roots signed
   * by the daemon key. Anyone else grants only by delegation from a live, verified capability
   * it holds with `delegate: true`, never wider and never outliving it, signed with its own key.
   * Throws E_CAPABILITY_INVALID (malformed input) or E_GRANT_REJECTED (no authority), both audited
   * as `capability_grant_rejected`.
   */
  grant(input: GrantInput): Capability {
    const resolved: { subject?: AgentId } = {};
    const outcome = this.db.transaction((): { ok: true; cap: Capability } | { ok: false; error: CovenantError } => {
      try {
        return { ok: true, cap: this.grantInTransaction(input, resolved) };
      } catch (error) {
        if (!(error instanceof CovenantError) || !GRANT_REFUSALS.includes(error.code)) {
          throw error;
        }
        const subject = input.to !== undefined ? resolved.subject ?? null : input.subject ?? input.caller;
        this.audit.append(input.caller, { kind: 'capability_grant_rejected', payload: {
          action: typeof input.action === 'string' ? shorten(input.action) : null,
          subject: subject && typeof subject === 'object' ? { display: String(subject.display), pubkey: String(subject.pubkey) } : null,
          ...(input.to !== undefined ? { target: secretPrefix(String(input.to)) } : {}),
          reason: error.message,
        } });
        return { ok: false, error };
      }
    })();
    if (!outcome.ok) throw new CovenantError(outcome.error.code, outcome.error.message, { audited: true, cause: outcome.error });
    return outcome.cap;
  }

  /** Whether the caller holds a live capability for `action` that it may delegate. */
  private mayDelegate(caller: AgentId, action: string, now: number): boolean {
    return this.store.liveFor(caller.pubkey, action, now).some((c) => scopeError(c.scope) === null && (c.scope as Scope).delegate === true);
  }

  private grantInTransaction(input: GrantInput, resolved: { subject?: AgentId }): Capability {
    const now = this.clock.now();
    assertValidAction(input.action);
    const action = input.action;
    if (input.actionCheck && !input.actionCheck.allowUnknown) {
      const declared = [...input.actionCheck.declared()];
      if (!isKnownAction(action, declared)) throw new CovenantError('E_UNKNOWN_ACTION', unknownActionMessage(action, declared));
    }
    const scope = parseScope(input.scope ?? {});
    const isOperator = this.isOperator(input.caller, input.callerIsOperator);
    if (input.to !== undefined) {
      if (!isOperator && !this.mayDelegate(input.caller, action, now)) {
        throw rejected(
          `${input.caller.display} holds no delegable capability for ${action}; only the operator can grant it to another peer, or a peer holding it with "delegate": true`,
        );
      }
      if (!input.resolveTo) throw new CovenantError('E_CAPABILITY_INVALID', 'a grant --to a name needs a way to resolve it');
      resolved.subject = input.resolveTo(input.to);
    }
    const subjectInput = resolved.subject ?? input.subject ?? input.caller;
    const parsedSubject = AgentIdSchema.safeParse(subjectInput);
    const subjectKey = parsedSubject.success ? fromBase58(parsedSubject.data.pubkey) : null;
    if (!parsedSubject.success || !subjectKey || subjectKey.length !== 32) {
      throw new CovenantError('E_CAPABILITY_INVALID', 'subject must be an AgentId {display, pubkey} with a base58 ed25519 pubkey');
    }
    const subject: AgentId = { display: parsedSubject.data.display, pubkey: parsedSubject.data.pubkey };
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && (!Number.isSafeInteger(expiresAt) || expiresAt <= now)) {
      throw new CovenantError('E_CAPABILITY_INVALID', `expires_at must be a whole epoch-ms time in the future (now is ${now})`);
    }

    let cap: Capability;
    if (isOperator) {
      const unsigned: UnsignedCapability = {
        id: newId(),
        subject,
        action,
        scope,
        granted_by: { ...this.daemon.agentId },
        expires_at: expiresAt,
        parent_id: null,
        issued_at: now,
      };
      cap = signCapability(unsigned, this.daemon.keys);
    } else {
      const parent = this.delegationParent(input.caller, action, scope, expiresAt, now);
      const keys = this.keyFor(input.caller.pubkey);
      if (!keys || keys.publicKeyB58 !== input.caller.pubkey) {
        throw rejected(`the daemon holds no signing key for ${input.caller.display}, so it cannot sign a grant on its behalf`);
      }
      const unsigned: UnsignedCapability = {
        id: newId(),
        subject,
        action,
        scope,
        granted_by: { display: input.caller.display, pubkey: input.caller.pubkey },
        expires_at: expiresAt,
        parent_id: parent.id,
        issued_at: now,
      };
      cap = signCapability(unsigned, keys);
    }
    this.store.insert(cap);
    this.audit.append(input.caller, { kind: 'capability_granted', payload: {
      id: cap.id,
      action: cap.action,
      subject: cap.subject,
      scope: cap.scope,
      expires_at: cap.expires_at,
      parent_id: cap.parent_id,
    } });
    return cap;
  }

  /** The capability a non-operator grant is delegated from; throws E_GRANT_REJECTED naming why. */
  private delegationParent(caller: AgentId, action: string, scope: Scope, expiresAt: number | null, now: number): CapabilityRecord {
    const candidates = this.store.liveFor(caller.pubkey, action, now);
    if (candidates.length === 0) {
      throw rejected(
        `${caller.display} holds no live capability for ${action}; only the operator can grant it (a peer cannot mint its own authority)`,
      );
    }
    const reasons: string[] = [];
    for (const parent of candidates) {
      const reason = this.delegationRefusal(parent, scope, expiresAt, now);
      if (reason === null) return parent;
      reasons.push(reason);
    }
    throw rejected(`no capability held by ${caller.display} may be delegated this way: ${reasons.slice(0, 3).join('; ')}`);
  }

  private delegationRefusal(parent: CapabilityRecord, scope: Scope, expiresAt: number | null, now: number): string | null {
    const label = `capability ${parent.id} (${parent.action})`;
    if (scopeError(parent.scope) !== null) return `${label} has an invalid scope`;
    const parentScope = parent.scope as Scope;
    if (parentScope.delegate !== true) return `${label} is not delegable (its scope lacks "delegate": true)`;
    const widening = wideningReason(scope, parentScope);
    if (widening !== null) return `widens ${label}: ${widening}`;
    if (parent.expires_at !== null && (expiresAt === null || expiresAt > parent.expires_at)) {
      return `${label} expires at ${parent.expires_at}; the delegated grant must expire at or before it`;
    }
    const verdict = this.verifyChain(parent, now);
    if (!verdict.ok) return `${label} does not verify: ${verdict.reason}`;
    if (verdict.depth >= MAX_CHAIN_DEPTH) return `${label} is already ${verdict.depth} links deep (at most ${MAX_CHAIN_DEPTH})`;
    return null;
  }

  // ---------------------------------------------------------------- verification

  /**
   * Walks a capability's chain back to the daemon: every link unrevoked and unexpired, signed by
   * its grantor; each parent held by the child's grantor, delegable, covering the child's action,
   * no narrower than the child's scope and not expiring before it; the root granted by the daemon
   * key; no cycles; at most MAX_CHAIN_DEPTH links.
   */
  verifyChain(record: CapabilityRecord, now: number = this.clock.now()): ChainVerdict {
    const seen = new Set<string>();
    let current = record;
    for (let depth = 1; ; depth += 1) {
      if (depth > MAX_CHAIN_DEPTH) return { ok: false, reason: `delegation chain is longer than ${MAX_CHAIN_DEPTH} links` };
      if (seen.has(current.id)) return { ok: false, reason: `delegation chain has a cycle at ${current.id}` };
      seen.add(current.id);
      const fault = contentFault(current);
      if (fault !== null) return { ok: false, reason: fault };
      if (current.revoked_at !== null) return { ok: false, reason: `capability ${current.id} was revoked` };
      if (current.expires_at !== null && current.expires_at <= now) return { ok: false, reason: `capability ${current.id} has expired` };
      if (current.parent_id === null) {
        if (current.granted_by.pubkey !== this.daemon.agentId.pubkey) {
          return { ok: false, reason: `root capability ${current.id} was not granted by the daemon` };
        }
        return { ok: true, depth };
      }
      let parent: CapabilityRecord | null;
      try {
        parent = this.store.get(current.parent_id);
      } catch {
        return { ok: false, reason: `parent ${current.parent_id} of capability ${current.id} is damaged` };
      }
      if (!parent) return { ok: false, reason: `parent ${current.parent_id} of capability ${current.id} is missing` };
      if (parent.subject.pubkey !== current.granted_by.pubkey) {
        return { ok: false, reason: `grantor of capability ${current.id} does not hold its parent ${parent.id}` };
      }
      if (scopeError(parent.scope) !== null) return { ok: false, reason: `capability ${parent.id} has an invalid scope` };
      const parentScope = parent.scope as Scope;
      if (parentScope.delegate !== true) return { ok: false, reason: `parent ${parent.id} is not delegable` };
      if (!actionMatches(parent.action, current.action)) {
        return { ok: false, reason: `parent ${parent.id} (${parent.action}) does not cover ${current.action}` };
      }
      const widening = wideningReason(current.scope, parentScope);
      if (widening !== null) return { ok: false, reason: `capability ${current.id} widens its parent: ${widening}` };
      if (parent.expires_at !== null && (current.expires_at === null || current.expires_at > parent.expires_at)) {
        return { ok: false, reason: `capability ${current.id} outlives its parent ${parent.id}` };
      }
      current = parent;
    }
  }

  // ---------------------------------------------------------------- checks

  /** Checks the caller for `required` (a concrete action) and writes `capability_check` (with the request's change: AuditLog.appendWithRequest). */
  check(input: CheckInput): CheckResult {
    assertValidAction(input.required, { allowWildcard: false });
    const now = this.clock.now();
    const facts = input.facts ?? {};
    let reason: string | undefined;
    let passedId: string | undefined;
    let scoped: CheckResult['scoped'];
    for (const candidate of this.store.liveFor(input.caller.pubkey, input.required, now)) {
      if (scopeError(candidate.scope) !== null) {
        reason ??= `capability ${candidate.id} has an invalid scope`;
        continue;
      }
      const denial = scopeDenial(candidate.scope, facts);
      if (denial !== null) {
        reason ??= `capability ${candidate.id}: ${denial.reason}`;
        if (scoped === undefined && this.verifyChain(candidate, now).ok) scoped = { ...denial, capability_id: candidate.id };
        continue;
      }
      const verdict = this.verifyChain(candidate, now);
      if (!verdict.ok) {
        reason ??= verdict.reason;
        continue;
      }
      passedId = candidate.id;
      break;
    }
    const passed = passedId !== undefined;
    reason = passed ? undefined : (reason ?? `${input.caller.display} holds no live capability for ${input.required}`);
    this.audit.appendWithRequest(input.caller, { kind: 'capability_check', payload: {
      required: redact(input.required),
      missing: passed ? null : input.required,
      passed,
      capability_id: passedId ?? null,
      reason: reason ?? null,
    } });
    if (passed) return { passed, capability_id: passedId };
    return scoped === undefined ? { passed, missing: input.required, reason } : { passed, missing: input.required, reason, scoped };
  }

  /**
   * What a failed check tells the caller: for a capability held under a scope that does not
   * admit the request, that scope and the fix (not a grant of what it holds); else the exact
   * grant command (no `--to` for the operator).
   */
  refusalMessage(input: CheckInput, result: CheckResult, alternatives: readonly string[] = []): string {
    if (result.scoped) {
      return (
        `you hold ${input.required} (capability ${result.scoped.capability_id.slice(0, 8)}), but its scope does not admit this request: ` +
        `${result.scoped.reason}; ${result.scoped.fix}`
      );
    }
    const to = this.isOperator(input.caller, input.callerIsOperator) ? undefined : input.caller.display;
    const options = alternatives.length === 0 ? '' : ` (or ${alternatives.join(' or ')})`;
    return `missing capability ${input.required}${options}; grant ${alternatives.length === 0 ? 'it' : 'one'} with: ${grantCommandFor(input.required, to)}`;
  }

  /** `check`, throwing E_CAPABILITY_MISSING with the exact grant command when it fails. */
  require(input: CheckInput): CheckResult {
    const result = this.check(input);
    if (!result.passed) throw new CovenantError('E_CAPABILITY_MISSING', this.refusalMessage(input, result), { audited: true });
    return result;
  }

  // ---------------------------------------------------------------- revoke, purge, list

  /**
   * Revokes a capability (by id or signature) and everything delegated from it. Allowed for the
   * operator, the subject, and the grantor of the capability or of any capability above it in
   * its chain. Refusals (E_NOT_FOUND, E_FORBIDDEN) write `capability_revoke_rejected`.
   */
  revoke(input: { caller: AgentId; idOrSignature: string; callerIsOperator?: boolean }): RevokeResult {
    const outcome = this.db.transaction((): { ok: true; result: RevokeResult } | { ok: false; error: CovenantError } => {
      const refuse = (error: CovenantError) => {
        this.audit.append(input.caller, { kind: 'capability_revoke_rejected', payload: {
          target: revokeTarget(input.idOrSignature),
          reason: error.message,
        } });
        return { ok: false as const, error };
      };
      let record: CapabilityRecord | null;
      try {
        record = typeof input.idOrSignature === 'string' ? this.store.find(input.idOrSignature) : null;
      } catch {
        record = null;
      }
      if (!record) {
        return refuse(new CovenantError('E_NOT_FOUND', `no capability with id or signature ${revokeTarget(input.idOrSignature)}; list yours with: covenant capabilities recent`));
      }
      if (!this.mayRevoke(input.caller, record, input.callerIsOperator)) {
        return refuse(
          new CovenantError('E_FORBIDDEN', `only the operator, the subject or a grantor in its chain may revoke capability ${record.id}`),
        );
      }
      const removed = this.store.revokeCascade(record.id, this.clock.now());
      this.audit.append(input.caller, { kind: 'capability_revoked', payload: { id: record.id, removed } });
      return { ok: true, result: { id: record.id, removed } };
    })();
    if (!outcome.ok) throw new CovenantError(outcome.error.code, outcome.error.message, { audited: true, cause: outcome.error });
    return outcome.result;
  }

  private mayRevoke(caller: AgentId, record: CapabilityRecord, callerIsOperator?: boolean): boolean {
    if (this.isOperator(caller, callerIsOperator) || sameAgent(caller, record.subject)) return true;
    const seen = new Set<string>();
    let current: CapabilityRecord | null = record;
    while (current && !seen.has(current.id) && seen.size < MAX_CHAIN_DEPTH) {
      if (sameAgent(caller, current.granted_by)) return true;
      seen.add(current.id);
      try {
        current = current.parent_id === null ? null : this.store.get(current.parent_id);
      } catch {
        current = null;
      }
    }
    return false;
  }

  /**
   * Removes capabilities revoked or expired before `beforeMs` (never one a remaining record
   * points to) and writes `capabilities_purged {before_ms, purged}`. The caller's authority
   * (`capabilities.purge`) is checked by the request dispatcher, not here.
   */
  purge(input: { caller: AgentId; beforeMs: number }): number {
    if (!Number.isSafeInteger(input.beforeMs) || input.beforeMs < 0) {
      throw new CovenantError('E_BAD_REQUEST', 'before_ms must be a whole, non-negative epoch-ms time');
    }
    return this.db.transaction(() => {
      const purged = this.store.purge(input.beforeMs, this.clock.now()).length;
      this.audit.append(input.caller, { kind: 'capabilities_purged', payload: { before_ms: input.beforeMs, purged } });
      return purged;
    })();
  }

  /** Capabilities the caller holds or granted, newest first (limit clamped to 1..1000, default 20). */
  recent(input: { caller: AgentId; limit?: number }): CapabilityRecord[] {
    const requested = input.limit ?? DEFAULT_RECENT_LIMIT;
    const limit = Number.isFinite(requested) ? Math.min(Math.max(Math.trunc(requested), 1), MAX_RECENT_LIMIT) : DEFAULT_RECENT_LIMIT;
    return this.store.listForPeer(input.caller.pubkey, limit);
  }

  /**
   * Grants the operator the SPEC 5 default set, skipping each action the operator already holds
   * through a live, verified, unrestricted capability. Returns the capabilities granted now.
   */
  bootstrapOperator(operator: AgentId): Capability[] {
    return this.db.transaction(() => {
      const now = this.clock.now();
      const granted: Capability[] = [];
      for (const action of OPERATOR_DEFAULT_ACTIONS) {
        const held = this.store
          .liveFor(operator.pubkey, action, now)
          .some((c) => scopeError(c.scope) === null && isUnrestricted(c.scope) && this.verifyChain(c, now).ok);
        if (held) continue;
        granted.push(
          this.grant({ caller: this.daemon.agentId, callerIsOperator: true, action, subject: operator, scope: {}, expiresAt: null }),
        );
      }
      return granted;
    })();
  }
}
