import type { A2aTask } from '../../protocol/index.js';
import type { CommandOutcome, GlobalFlags } from '../output.js';
import type { A2aRespondFlags, A2aRetryStaleFlags, A2aSendFlags, A2aStatusFlags } from '../register/a2a.js';
import { callDaemon } from '../session.js';
import { oneLine } from './memory.js';

function taskLine(task: A2aTask): string {
  const lease = task.lease_id === null ? '' : ` lease ${task.lease_id}`;
  return `${task.id} ${task.state} ${task.sender.display} → ${task.recipient} (attempt ${task.attempt})${lease}: ${oneLine(task.intent_text).slice(0, 200)}`;
}

function resultLine(task: A2aTask): string {
  const result = task.result;
  if (result === null) return `${task.id} ${task.state}`;
  const parts = result.content.map((c) => (c.type === 'text' ? c.text : JSON.stringify(c.value)));
  const body = result.status === 'error' ? (result.error_message ?? 'error') : parts.join(' ');
  return `${task.id} ${result.status} from ${task.recipient}: ${oneLine(body).slice(0, 500)}`;
}

export async function a2aSendCommand(flags: GlobalFlags, recipient: string, text: string, options: A2aSendFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_send', {
    recipient,
    text,
    ...(options.deadlineMs !== undefined ? { deadline_ms: options.deadlineMs } : {}),
    ...(options.idempotencyKey !== undefined ? { idempotency_key: options.idempotencyKey } : {}),
    ...(options.taskKind !== undefined ? { task_kind: options.taskKind } : {}),
    ...(options.parent !== undefined ? { parent: options.parent } : {}),
  });
  const head = reply.replayed ? `already sent (idempotency key): ${reply.task.id} ${reply.task.state}` : `queued ${reply.task.id} for ${reply.task.recipient}`;
  return { json: reply, human: reply.task.result ? [head, resultLine(reply.task)] : head };
}

export async function a2aRecvCommand(flags: GlobalFlags, waitMs: number | undefined): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_recv', waitMs === undefined ? {} : { wait_ms: waitMs });
  return { json: reply, human: reply.task === null ? 'no task' : taskLine(reply.task) };
}

export async function a2aRespondCommand(flags: GlobalFlags, taskId: string, options: A2aRespondFlags): Promise<CommandOutcome> {
  const content = options.text !== undefined ? [{ type: 'text' as const, text: options.text }] : options.jsonValue !== undefined ? [{ type: 'json' as const, value: options.jsonValue }] : [];
  const message = options.message ?? (options.status === 'error' ? options.text : undefined);
  const reply = await callDaemon(flags, 'a2a_respond', {
    task_id: taskId,
    status: options.status,
    content,
    ...(message !== undefined ? { error_message: message } : {}),
    ...(options.leaseId !== undefined ? { lease_id: options.leaseId } : {}),
  });
  return { json: reply, human: `${reply.task_id} ${reply.status}: result written` };
}

export async function a2aResultsCommand(flags: GlobalFlags, options: { waitMs?: number; limit?: number }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_results', {
    ...(options.waitMs !== undefined ? { wait_ms: options.waitMs } : {}),
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
  });
  return { json: reply, human: reply.tasks.length === 0 ? 'no results' : reply.tasks.map(resultLine) };
}

export async function a2aStatusCommand(flags: GlobalFlags, options: A2aStatusFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_status', {
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.state !== undefined ? { state: options.state } : {}),
    ...(options.minLeaseAgeMs !== undefined ? { min_lease_age_ms: options.minLeaseAgeMs } : {}),
  });
  const c = reply.counts;
  const summary = `queued ${c.queued}, in flight ${c.in_flight}, result pending ${c.result_pending}, done ${c.done}, canceled ${c.canceled}`;
  return { json: reply, human: [summary, ...reply.tasks.map(taskLine)] };
}

export async function a2aCancelCommand(flags: GlobalFlags, taskId: string): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_cancel', { task_id: taskId });
  return { json: reply, human: `${reply.task_id} canceled (was ${reply.previous_state})` };
}

export async function a2aRequeueCommand(flags: GlobalFlags, taskId: string, options: { reason: string; leaseId: string }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_requeue', { task_id: taskId, reason: options.reason, lease_id: options.leaseId });
  return { json: reply, human: `${reply.task_id} queued again (after ${reply.attempt} deliveries)` };
}

export async function a2aForceErrorCommand(flags: GlobalFlags, taskId: string, options: { reason: string; message: string; leaseId: string }): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_force_error', { task_id: taskId, reason: options.reason, message: options.message, lease_id: options.leaseId });
  return { json: reply, human: `${reply.task_id} failed: error result written for its sender` };
}

export async function a2aRetryStaleCommand(flags: GlobalFlags, options: A2aRetryStaleFlags): Promise<CommandOutcome> {
  const enable = options.enable ? true : options.disable ? false : undefined;
  const reply = await callDaemon(flags, 'a2a_retry_stale', {
    ...(enable !== undefined ? { enable } : {}),
    ...(options.minLeaseAgeMs !== undefined ? { min_lease_age_ms: options.minLeaseAgeMs } : {}),
    ...(options.maxAttempts !== undefined ? { max_attempts: options.maxAttempts } : {}),
  });
  const p = reply.policy;
  return {
    json: reply,
    human: [
      `requeued ${reply.requeued.length}, gave up on ${reply.gave_up.length} (leases ≥ ${p.min_lease_age_ms} ms, at most ${p.max_attempts} deliveries)`,
      `automatic retry-stale: ${p.enabled ? 'enabled' : 'disabled'}`,
    ],
  };
}

export async function a2aCompactCommand(flags: GlobalFlags): Promise<CommandOutcome> {
  const reply = await callDaemon(flags, 'a2a_compact', {});
  return { json: reply, human: `removed ${reply.removed} drained tasks` };
}
