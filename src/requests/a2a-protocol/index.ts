export { CovenantA2aHandler, DEFAULT_SEND_WAIT_MS, type A2aProtocolOptions } from './request-handler.js';
export { callContext, eventIdOf, wasAudited } from './call-context.js';
export { covenantCodeOf, COVENANT_REFUSED } from './rpc-errors.js';
