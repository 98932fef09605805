import type { Authorization } from '../protocol/index.js';
import type { Caller } from './caller.js';

/** Decides whether a caller may make a request; throws a CovenantError when it may not. */
export interface Authorizer {
  require(caller: Caller, authorization: Authorization, requestKind: string): void;
}
