import { TaskState, type ListTasksRequest, type ListTasksResponse, type Task } from '@a2a-js/sdk';
import { UnsupportedOperationError } from '@a2a-js/sdk/errors';
import type { ServerCallContext, TaskStore } from '@a2a-js/sdk/server';
import type { MailboxService, TaskRow } from '../../a2a/index.js';
import { CovenantError } from '../../core/index.js';
import { callerOf } from './call-context.js';
import { mailboxFilter, toA2aTask } from './task-mapping.js';

const DEFAULT_PAGE = 50;
const MAX_PAGE = 100;

/**
 * The SDK's task store over the mailbox, scoped per caller: a caller sees only the tasks it sent.
 * It never writes: every state change goes through the mailbox (its transaction, audit row and
 * receipt), so `save` is refused.
 */
export class MailboxTaskStore implements TaskStore {
  constructor(private readonly mailbox: MailboxService) {}

  /** The mailbox row of a task the caller sent, or null. */
  row(taskId: string, context: ServerCallContext): TaskRow | null {
    const row = this.mailbox.get(taskId);
    return row !== null && row.sender_pubkey === callerOf(context).agentId.pubkey ? row : null;
  }

  load(taskId: string, context: ServerCallContext): Promise<Task | undefined> {
    const row = this.row(taskId, context);
    return Promise.resolve(row === null ? undefined : toA2aTask(row));
  }

  save(): Promise<void> {
    return Promise.reject(new UnsupportedOperationError('tasks change only through the Covenant mailbox'));
  }

  list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const pageSize = Math.min(Math.max(params.pageSize ?? DEFAULT_PAGE, 1), MAX_PAGE);
    const offset = params.pageToken === '' ? 0 : Number(params.pageToken);
    if (!Number.isSafeInteger(offset) || offset < 0) {
      return Promise.reject(new CovenantError('E_BAD_REQUEST', 'pageToken must be a nextPageToken this daemon answered'));
    }
    const filter = params.status === TaskState.TASK_STATE_UNSPECIFIED ? {} : mailboxFilter(params.status);
    if (filter === null) return Promise.resolve({ tasks: [], nextPageToken: '', pageSize, totalSize: 0 });
    const { rows, total } = this.mailbox.store.sentBy({ senderPubkey: callerOf(context).agentId.pubkey, ...filter, limit: pageSize, offset });
    const next = offset + rows.length;
    return Promise.resolve({
      tasks: rows.map((row) => toA2aTask(row, params.historyLength)),
      nextPageToken: next < total ? String(next) : '',
      pageSize,
      totalSize: total,
    });
  }
}
