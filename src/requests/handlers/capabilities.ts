import { OPERATOR_DEFAULT_ACTIONS, type Capability, type CapabilityRecord } from '../../capabilities/index.js';
import { CovenantError } from '../../core/index.js';
import type { AgentId } from '../../identity/index.js';
import { resolvePurgeCutoff } from '../../protocol/index.js';
import type { DaemonContext } from '../context.js';
import type { HandlerGroup } from './handler.js';
import { capabilityId } from '../id-prefixes.js';

/** How many candidates an ambiguity refusal of `--to` lists. */
const LISTED_SUBJECTS = 5;

/**
 * `--to` names one live identity like other peer references: its display, a unique prefix of
 * its display, or a prefix of its pubkey (SPEC 5). A display given whole wins over longer
 * displays it starts; anything else matching more than one identity is refused (E_AMBIGUOUS,
 * listing them). Called by the capability service only for a caller who may grant to others.
 */
function resolveSubject(ctx: DaemonContext, name: string): AgentId {
  // The operator is one candidate among the peers: a short prefix may match both.
  const operator = ctx.identity.agentId;
  const candidates = new Map<string, AgentId>();
  if (operator.display.startsWith(name) || operator.pubkey.startsWith(name)) candidates.set(operator.pubkey, operator);
  for (const match of ctx.peerQueries.startingWith(name, LISTED_SUBJECTS + 1)) candidates.set(match.agent_id.pubkey, match.agent_id);
  const all = [...candidates.values()];
  const exact = all.filter((id) => id.display === name);
  const matches = exact.length === 1 ? exact : all;
  if (matches.length === 0) {
    throw new CovenantError('E_NOT_FOUND', `no live peer is named, or has a name or pubkey starting with, "${name}"; list peers with \`covenant peers list\``);
  }
  if (matches.length > 1) {
    const count = matches.length > LISTED_SUBJECTS ? `more than ${LISTED_SUBJECTS}` : String(matches.length);
    const listed = matches.slice(0, LISTED_SUBJECTS).map((id) => `${id.display} (pubkey ${id.pubkey.slice(0, 8)}…)`);
    throw new CovenantError('E_AMBIGUOUS', `"${name}" names ${count} identities: ${listed.join(', ')}; give the whole name or a longer pubkey prefix`);
  }
  return matches[0]!;
}

/** Every action an installed agent's manifest declares (`[capabilities] required` and `optional`). */
function declaredActions(ctx: DaemonContext): string[] {
  return ctx.runtime.agents.list().flatMap((agent) => [...agent.manifest.capabilities.required, ...agent.manifest.capabilities.optional]);
}

function view(record: Capability | CapabilityRecord) {
  return {
    id: record.id,
    subject: record.subject,
    action: record.action,
    scope: record.scope,
    granted_by: record.granted_by,
    expires_at: record.expires_at,
    parent_id: record.parent_id,
    issued_at: record.issued_at,
    signature_b58: record.signature_b58,
    revoked_at: 'revoked_at' in record ? record.revoked_at : null,
  };
}

export const capabilityHandlers: HandlerGroup<
  'capabilities_grant' | 'capabilities_recent' | 'capabilities_revoke' | 'capabilities_purge' | 'bootstrap'
> = {
  capabilities_grant: (params, { caller }, ctx) => {
    if (params.expires_at !== undefined && params.expires_in_ms !== undefined) {
      throw new CovenantError('E_BAD_REQUEST', 'give either expires_at (--expires-at) or expires_in_ms (--expires-in), not both');
    }
    const now = ctx.clock.now();
    const expiresAt = params.expires_at ?? (params.expires_in_ms === undefined ? null : now + params.expires_in_ms);
    if (expiresAt !== null && expiresAt <= now) {
      throw new CovenantError('E_BAD_REQUEST', `expiry ${expiresAt} is already in the past; pick a later --expires-at`);
    }
    const cap = ctx.capabilities.grant({
      caller: caller.agentId,
      callerIsOperator: caller.role === 'operator',
      action: params.action,
      ...(params.to === undefined ? {} : { to: params.to, resolveTo: (name: string) => resolveSubject(ctx, name) }),
      scope: params.scope ?? {},
      expiresAt,
      actionCheck: { declared: () => declaredActions(ctx), allowUnknown: params.allow_unknown_action === true },
    });
    return {
      kind: 'capability_granted',
      id: cap.id,
      subject_display: cap.subject.display,
      subject_pubkey: cap.subject.pubkey,
      action: cap.action,
      scope: cap.scope,
      expires_at: cap.expires_at,
      parent_id: cap.parent_id,
      signature_b58: cap.signature_b58,
    };
  },
  capabilities_recent: (params, { caller }, ctx) => ({
    kind: 'capability_list',
    limit: params.limit,
    capabilities: ctx.capabilities.recent({ caller: caller.agentId, limit: params.limit }).map(view),
  }),
  capabilities_revoke: (params, { caller }, ctx) => {
    const result = ctx.capabilities.revoke({
      caller: caller.agentId,
      idOrSignature: capabilityId(ctx, caller, params.id_or_signature),
      callerIsOperator: caller.role === 'operator',
    });
    return { kind: 'capability_revoked', id: result.id, removed: result.removed };
  },
  capabilities_purge: (params, { caller }, ctx) => {
    const beforeMs = resolvePurgeCutoff(params);
    const purged = ctx.capabilities.purge({ caller: caller.agentId, beforeMs });
    return { kind: 'capabilities_purged', before_ms: beforeMs, purged };
  },
  bootstrap: (_params, _scope, ctx) => {
    const granted = ctx.capabilities.bootstrapOperator(ctx.identity.agentId).map((c) => c.action);
    return { kind: 'bootstrap', granted, already_held: OPERATOR_DEFAULT_ACTIONS.filter((a) => !granted.includes(a)) };
  },
};
