/**
 * Request execution shared by every transport: table lookup, parse, authorize, handler, the one
 * refusal path, and the per-request scope. The socket server (daemon/) and the HTTP gateway
 * (gateway/) both call `executeRequest`; neither knows the other.
 */
export { executeRequest, type Reply } from './execute-request.js';
export { replyJson } from './reply-text.js';
export { internalErrorMessage } from './internal-error.js';
export { asRefusal, recordRefusal, refusalEvent, refusalWith, AUDIT_UNAVAILABLE_MESSAGE, type RefusalSite } from './refusal.js';
export { visibleOwner, type Caller, type Transport } from './caller.js';
export { auditRowVisibleTo, openAuditFeed, type AuditFeedFilter, type AuditFeedStart } from './audit-feed.js';
export type { RequestScope } from './scope.js';
export type { DaemonContext } from './context.js';
export { InFlightTracker } from './in-flight.js';
export { protocolInfo } from './protocol-info.js';
export { responseTooLarge } from './response-too-large.js';
export { TokenDisconnector, type ConnectionCloser } from './disconnector.js';
export { createAuthorizer } from './authorization.js';
export { intentAuthorize } from './intent-authorize.js';
export { agentTaskRun } from './a2a-agent-run.js';
export { signedAgentCard } from './agent-card.js';
export type { Authorizer } from './authorizer.js';
export { hostCallOpener, declares } from './host-calls.js';
export { CovenantA2aHandler, DEFAULT_SEND_WAIT_MS, callContext, eventIdOf, wasAudited, covenantCodeOf, COVENANT_REFUSED, type A2aProtocolOptions } from './a2a-protocol/index.js';
