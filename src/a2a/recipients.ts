import { CovenantError } from '../core/index.js';
import type { AgentId } from '../identity/index.js';
import type { PeerQueries } from '../peers/index.js';
import type { InstalledAgents } from '../runtime/index.js';

/** Where a task goes: a live peer (matched by pubkey) or an installed agent (`<id>@agent`). */
export type Recipient =
  | { kind: 'peer'; display: string; key: string; agentId: AgentId }
  | { kind: 'agent'; display: string; key: string; agentIdName: string };

export const AGENT_SUFFIX = '@agent';

export interface RecipientDeps {
  peers: Pick<PeerQueries, 'resolveSubject'>;
  agents: Pick<InstalledAgents, 'get'>;
}

/** Why a recipient was refused (the `a2a_recipient_rejected` row's reason), as a CovenantError. */
export function recipientRejected(code: 'E_NOT_FOUND' | 'E_BAD_REQUEST' | 'E_CAPABILITY_MISSING', message: string, recipient: string, reason: string, missing: string | null = null): CovenantError {
  return new CovenantError(code, message, { auditEvent: { kind: 'a2a_recipient_rejected', payload: { recipient, reason, missing } } });
}

/**
 * Resolves `<id>@agent` to an installed agent, anything else to exactly one live peer (display or
 * pubkey prefix). Unknown and ambiguous names are refused; nothing is queued.
 */
export function resolveRecipient(deps: RecipientDeps, name: string): Recipient {
  const shown = name.length > 80 ? `${name.slice(0, 80)}…` : name;
  if (name.endsWith(AGENT_SUFFIX)) {
    const id = name.slice(0, -AGENT_SUFFIX.length);
    if (!deps.agents.get(id)) {
      throw recipientRejected('E_NOT_FOUND', `no installed agent ${JSON.stringify(shown)}; see covenant agents list`, shown, 'unknown_agent');
    }
    return { kind: 'agent', display: name, key: name, agentIdName: id };
  }
  const distinct = new Map<string, AgentId>();
  for (const match of deps.peers.resolveSubject(name)) distinct.set(match.agent_id.pubkey, match.agent_id);
  if (distinct.size === 0) {
    throw recipientRejected('E_NOT_FOUND', `no live peer or installed agent named ${JSON.stringify(shown)}; see covenant peers list (agents are <id>@agent)`, shown, 'unknown_recipient');
  }
  if (distinct.size > 1) {
    throw recipientRejected('E_BAD_REQUEST', `${JSON.stringify(shown)} matches ${distinct.size} peers; give a longer pubkey prefix`, shown, 'ambiguous_recipient');
  }
  const agentId = [...distinct.values()][0]!;
  return { kind: 'peer', display: agentId.display, key: agentId.pubkey, agentId };
}
