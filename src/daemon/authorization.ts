import type { CapabilityService, RequestFacts } from '../capabilities/index.js';
import { CovenantError } from '../core/index.js';
import type { Authorization } from '../ipc/index.js';
import type { Authorizer } from './authorizer.js';
import type { Caller } from './caller.js';

/**
 * Operator-only requests check the caller's role (resolved from its token); everything with an
 * action checks a signed capability, which writes `capability_check` either way.
 */
export function createAuthorizer(capabilities: CapabilityService): Authorizer {
  return {
    require(caller: Caller, authorization: Authorization, requestKind: string) {
      const isOperator = caller.role === 'operator';
      if (authorization.operatorOnly && !isOperator) {
        throw new CovenantError('E_FORBIDDEN', `${requestKind} is reserved for the operator; ask the operator to run it`);
      }
      if (authorization.action === null) return;
      if (authorization.operatorPasses && isOperator) return;
      capabilities.require({
        caller: caller.agentId,
        required: authorization.action,
        facts: authorization.facts as RequestFacts | undefined,
        callerIsOperator: isOperator,
      });
    },
  };
}
