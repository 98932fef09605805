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

  /**
   * ListTasks as the A2A v1.0 request documents it: `pageSize` 1-100 (default 50; anything else
   * is refused, as the SDK's own handler does), `contextId` (a task's context is the task),
   * `status`, `statusTimestampAfter` (ISO 8601; tasks whose state changed at or after it) and
   * `includeArtifacts` (default false); newest first, `pageToken` the `nextPageToken` it answered.
   */
  async list(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    const pageSize = params.pageSize ?? DEFAULT_PAGE;
    if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE) {
      throw new CovenantError('E_BAD_REQUEST', `pageSize must be an integer from 1 to ${MAX_PAGE} (default ${DEFAULT_PAGE})`);
    }
    const offset = params.pageToken === '' ? 0 : Number(params.pageToken);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new CovenantError('E_BAD_REQUEST', 'pageToken must be a nextPageToken this daemon answered');
    const since = params.statusTimestampAfter ? Date.parse(params.statusTimestampAfter) : undefined;
    if (Number.isNaN(since)) throw new CovenantError('E_BAD_REQUEST', 'statusTimestampAfter must be an ISO 8601 time, e.g. 2026-12-06T08:00:00Z');
    const filter = params.status === TaskState.TASK_STATE_UNSPECIFIED ? {} : mailboxFilter(params.status);
    if (filter === null) return { tasks: [], nextPageToken: '', pageSize, totalSize: 0 };
    const { rows, total } = this.mailbox.store.sentBy({
      senderPubkey: callerOf(context).agentId.pubkey,
      ...filter,
      id: params.contextId === '' ? undefined : params.contextId,
      updatedSince: since,
      limit: pageSize,
      offset,
    });
    const next = offset + rows.length;
    return {
      tasks: rows.map((row) => {
        const task = toA2aTask(row, params.historyLength);
        return params.includeArtifacts === true ? task : { ...task, artifacts: [] };
      }),
      nextPageToken: next < total ? String(next) : '',
      pageSize,
      totalSize: total,
    };
  }
}
