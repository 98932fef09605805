import type { AgentId } from '../identity/index.js';
import type { Authorizer } from './authorizer.js';
import type { Caller } from './caller.js';

function isCaller(value: unknown): value is Caller {
  return typeof value === 'object' && value !== null && 'agentId' in value && 'role' in value;
}

/**
 * The pipeline's `authorize` dependency: checks one capability action (an agent's
 * `[capabilities] required`) for the intent's principal through the daemon's authorizer. The
 * principal is the request's `Caller`; an internal re-run (resuming a paused intent) may only
 * have the caller's AgentId, which is enough for a capability check (never for operator-only).
 */
export function intentAuthorize(authorizer: () => Authorizer) {
  return (principal: unknown, authorization: { action: string; facts?: Record<string, unknown> }): void => {
    const caller: Caller = isCaller(principal)
      ? principal
      : { agentId: principal as AgentId, role: 'peer', tokenHash: '', tokenPrefix: '', transport: 'ipc' };
    authorizer().require(caller, authorization, 'submit_intent');
  };
}
