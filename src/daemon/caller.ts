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
