import type { Authorization } from '../protocol/index.js';
import type { Authorizer } from './authorizer.js';
import type { Caller } from './caller.js';

/**
 * The pipeline's capability check: an agent's `[capabilities] required`, each checked for the
 * request's `Caller` through the daemon's authorizer, like any request (a resumed intent runs
 * under the caller who resumed it, the checkpoint's owner).
 */
export function intentAuthorize(authorizer: () => Authorizer) {
  return (caller: Caller, authorization: Authorization): void => authorizer().require(caller, authorization, 'submit_intent');
}
