import type { Migration } from '../migration.js';
import { foundation } from './001_foundation.js';
import { daemonState } from './007_daemon_state.js';
import { capabilities } from './002_capabilities.js';
import { agentRuntime } from './003_agent_runtime.js';
import { budget } from './004_budget.js';
import { receiptBatches } from './005_receipt_batches.js';
import { memoryRetention } from './006_memory_retention.js';
import { memorySearch } from './008_memory_search.js';
import { a2aMailbox } from './009_a2a_mailbox.js';
import { consoleSessions } from './010_console_sessions.js';
import { a2aFederation } from './011_a2a_federation.js';
import { modelMetering } from './013_model_metering.js';
import { receiptBatchCursor } from './016_receipt_batch_cursor.js';
import { receiptPartialIndexes } from './017_receipt_partial_indexes.js';
import { receiptLeafHashColumn } from './018_receipt_leaf_hash.js';

/** Every schema change, in order. Append only: a shipped migration is never edited. */
export const MIGRATIONS: readonly Migration[] = [foundation, capabilities, agentRuntime, budget, receiptBatches, memoryRetention, daemonState, memorySearch, a2aMailbox, consoleSessions, a2aFederation, modelMetering, receiptBatchCursor, receiptPartialIndexes, receiptLeafHashColumn];
