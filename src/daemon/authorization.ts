import { CovenantError } from '../core/index.js';
import type { Authorization } from '../ipc/index.js';
import type { Authorizer } from './authorizer.js';
import type { Caller } from './caller.js';

/** Operator-only gate; capability checks plug in here. */
export function createAuthorizer(): Authorizer {
  return {
    require(caller: Caller, authorization: Authorization, requestKind: string) {
      if (authorization.operatorOnly && caller.role !== 'operator') {
        throw new CovenantError('E_FORBIDDEN', `${requestKind} is reserved for the operator; ask the operator to run it`);
      }
    },
  };
}
