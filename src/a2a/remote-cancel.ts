/**
 * CancelTask forwarded to the remote daemon a task was delivered to (docs/a2a.md "Federation"):
 * a local cancel must not leave the remote task running. Only a task the remote accepted has a
 * remote task to cancel; one it never accepted is stopped here (the delivery sees the lost lease).
 */
import { isJsonRpcError, TaskNotCancelableError, TaskNotFoundError } from '@a2a-js/sdk/errors';
import { CovenantError } from '../core/index.js';
import type { Db } from '../store/index.js';
import { OutboxStore } from './outbox-store.js';
import { authRefusedMessage, describeError, remoteLabel, type RemoteRegistry } from './remotes.js';
import type { TaskRow } from './task-rows.js';
import { TimedOut, within } from './time-bound.js';

/** The remote task a cancel reached, for the local cancel's audit row. */
export interface RemoteCancel {
  remote: string;
  remote_task_id: string;
  /** Whether the remote still knew the task (a remote that lost it runs nothing for it either). */
  found: boolean;
}

/**
 * Cancels on its remote the remote task of `task` (a local task for `<x>@<remote>`), bounded by
 * the deliver timeout. Null when there is none (not accepted yet). Refuses, leaving everything
 * as it was, when the remote cannot confirm: unreachable (E_REMOTE_UNREACHABLE), its token
 * refused (E_REMOTE_AUTH_REFUSED), its card signed by another key (E_REMOTE_CARD_MISMATCH), or
 * the remote task already ended (E_CONFLICT: its result is on its way).
 */
export async function cancelOnRemote(remotes: RemoteRegistry, db: Db, task: TaskRow, signal?: AbortSignal): Promise<RemoteCancel | null> {
  const delivery = new OutboxStore(db).get(task.id);
  // A direct-message answer (`message:<id>`) was the result itself: nothing runs there.
  if (delivery?.remote_task_id == null || delivery.remote_task_id.startsWith('message:')) return null;
  const remoteTaskId = delivery.remote_task_id;
  const remote = remotes.get(delivery.remote);
  if (!remote) return null; // removed: its tasks were failed with it
  const label = remoteLabel(remote);
  const notCanceled = `task ${task.id} was not canceled, it is still in flight`;
  const ms = remotes.timeoutMs;
  try {
    const { client } = await remotes.connect(remote, { ms, taskId: task.id, ...(signal ? { signal } : {}) });
    await within((bound) => client.cancelTask({ tenant: '', id: remoteTaskId, metadata: undefined }, { signal: bound }), ms, signal);
    return { remote: remote.name, remote_task_id: remoteTaskId, found: true };
  } catch (error) {
    if (error instanceof TaskNotFoundError) return { remote: remote.name, remote_task_id: remoteTaskId, found: false };
    if (error instanceof TaskNotCancelableError) {
      throw new CovenantError('E_CONFLICT', `${notCanceled}: it already ended on ${label}; its result comes with covenant a2a results`);
    }
    if (error instanceof CovenantError && error.code === 'E_REMOTE_AUTH_REFUSED') throw new CovenantError('E_REMOTE_AUTH_REFUSED', `${notCanceled}: ${authRefusedMessage(remote, error)}`);
    if (error instanceof CovenantError && error.code === 'E_REMOTE_CARD_MISMATCH') throw error;
    const why = error instanceof TimedOut ? `no answer within ${ms} ms` : isJsonRpcError(error) ? `it refused: ${describeError(error)}` : describeError(error);
    throw new CovenantError(
      'E_REMOTE_UNREACHABLE',
      `${notCanceled}: ${label} could not confirm the cancel of its task ${remoteTaskId} (${why}); try again when it answers (covenant remotes check ${remote.name}), or end it here with covenant a2a force-error ${task.id} --lease-id ${task.lease_id ?? '<lease>'}`,
    );
  }
}
