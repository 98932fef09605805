import type { AgentId } from '../identity/index.js';
import type { PeerRole } from '../peers/index.js';

export type Transport = 'ipc' | 'http';

/** Who is asking: resolved from a token by the peer registry, never from a claimed name. */
export interface Caller {
  agentId: AgentId;
  role: PeerRole;
  tokenHash: string;
  tokenPrefix: string;
  transport: Transport;
}

/**
 * Whose rows a caller may read: the operator reads every row (null); any other caller only the
 * rows it owns or issued, compared by pubkey.
 */
export function visibleOwner(caller: Caller): string | null {
  return caller.role === 'operator' ? null : caller.agentId.pubkey;
}
