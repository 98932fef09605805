export { MailboxService, MESSAGE_CREDITS, taskKey, type MailboxDeps, type ResultInput, type SendInput } from './mailbox.js';
export { resolveRecipient, recipientRejected, AGENT_SUFFIX, type Recipient, type RecipientDeps } from './recipients.js';
export { taskView, type TaskRow } from './task-rows.js';
export { TaskStore } from './task-store.js';
export { Wakeups, longPoll } from './wakeups.js';
export { AgentTaskWorker, type AgentTaskRun } from './agent-worker.js';
export { RetryStaleTimer } from './retry-stale-timer.js';
export { buildAgentCard, signAgentCard, verifyAgentCard, A2A_RPC_PATH, AGENT_CARD_PATH, type AgentCardJson, type CardVerdict } from './agent-card.js';
export { connectRemote, type ConnectOptions, type RemoteConnection } from './client/index.js';
