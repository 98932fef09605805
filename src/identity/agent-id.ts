import type { AgentId } from '../protocol/index.js';

// The wire defines the shape (protocol/agent-id.ts); identity is where domain code looks for it.
export { AgentIdSchema, type AgentId } from '../protocol/index.js';

export const DAEMON_DISPLAY = 'user@local';

/** Identity decisions compare public keys only; display names are for people. */
export function sameAgent(a: AgentId, b: AgentId): boolean {
  return a.pubkey === b.pubkey;
}
