/**
 * Mailbox tasks as A2A v1.0 objects (SPEC 10, "Mapping"): queued → SUBMITTED, in_flight →
 * WORKING, a result ok/partial → COMPLETED, error → FAILED, canceled → CANCELED; the result's
 * content is the task's one artifact (text parts; json values as data parts).
 */
import { Role, TaskState, type Artifact, type Message, type Part, type StreamResponse, type Task, type TaskStatus } from '@a2a-js/sdk';
import { taskView, type TaskRow } from '../../a2a/index.js';
import type { A2aContent, A2aTaskState } from '../../protocol/index.js';

/** The A2A state of a mailbox task. */
export function a2aState(row: Pick<TaskRow, 'state' | 'result_status'>): TaskState {
  switch (row.state) {
    case 'queued':
      return TaskState.TASK_STATE_SUBMITTED;
    case 'in_flight':
      return TaskState.TASK_STATE_WORKING;
    case 'canceled':
      return TaskState.TASK_STATE_CANCELED;
    case 'result_pending':
    case 'done':
      return row.result_status === 'error' ? TaskState.TASK_STATE_FAILED : TaskState.TASK_STATE_COMPLETED;
  }
}

export function isTerminal(row: Pick<TaskRow, 'state'>): boolean {
  return row.state === 'result_pending' || row.state === 'done' || row.state === 'canceled';
}

/** Mailbox states (and result statuses) that show as one A2A state, for ListTasks' filter. */
export function mailboxFilter(state: TaskState): { states: A2aTaskState[]; resultStatuses?: Array<'ok' | 'error' | 'partial'> } | null {
  switch (state) {
    case TaskState.TASK_STATE_SUBMITTED:
      return { states: ['queued'] };
    case TaskState.TASK_STATE_WORKING:
      return { states: ['in_flight'] };
    case TaskState.TASK_STATE_CANCELED:
      return { states: ['canceled'] };
    case TaskState.TASK_STATE_COMPLETED:
      return { states: ['result_pending', 'done'], resultStatuses: ['ok', 'partial'] };
    case TaskState.TASK_STATE_FAILED:
      return { states: ['result_pending', 'done'], resultStatuses: ['error'] };
    default:
      return null;
  }
}

const textPart = (text: string): Part => ({ content: { $case: 'text', value: text }, metadata: undefined, filename: '', mediaType: 'text/plain' });

function contentPart(content: A2aContent): Part {
  return content.type === 'text'
    ? textPart(content.text)
    : { content: { $case: 'data', value: content.value }, metadata: undefined, filename: '', mediaType: 'application/json' };
}

function message(row: TaskRow, role: Role, id: string, parts: Part[]): Message {
  return { messageId: id, contextId: row.id, taskId: row.id, role, parts, metadata: undefined, extensions: [], referenceTaskIds: [] };
}

function status(row: TaskRow, state: TaskState, atMs: number): TaskStatus {
  const failed = state === TaskState.TASK_STATE_FAILED && row.error_message !== null;
  return {
    state,
    message: failed ? message(row, Role.ROLE_AGENT, `${row.id}-error`, [textPart(row.error_message!)]) : undefined,
    timestamp: new Date(atMs).toISOString(),
  };
}

/** The result's content as the task's artifact; none before a result (or for an empty one). */
export function resultArtifact(row: TaskRow): Artifact | null {
  const content = taskView(row).result?.content ?? [];
  if (content.length === 0) return null;
  return { artifactId: `${row.id}-result`, name: 'result', description: '', parts: content.map(contentPart), metadata: undefined, extensions: [] };
}

/** The task as GetTask answers it; `historyLength` 0 leaves out the caller's message. */
export function toA2aTask(row: TaskRow, historyLength?: number): Task {
  const artifact = resultArtifact(row);
  const sent = message(row, Role.ROLE_USER, row.idempotency_key ?? row.id, [textPart(row.intent_text)]);
  return {
    id: row.id,
    contextId: row.id,
    status: status(row, a2aState(row), row.updated_at),
    artifacts: artifact ? [artifact] : [],
    history: historyLength === 0 ? [] : [sent],
    metadata: { covenant_recipient: row.recipient, covenant_state: row.state, covenant_attempt: row.attempt, ...(row.result_status ? { covenant_status: row.result_status } : {}) },
  };
}

/**
 * The stream events of one logged state change: a status update, preceded by the result's
 * artifact when the change wrote the result. `done` (the sender drained the result) shows nothing.
 */
export function eventsOf(row: TaskRow, logged: { state: A2aTaskState; at_ms: number }): StreamResponse[] {
  if (logged.state === 'done') return [];
  const state = a2aState({ state: logged.state, result_status: row.result_status });
  const events: StreamResponse[] = [];
  const artifact = logged.state === 'result_pending' ? resultArtifact(row) : null;
  if (artifact) {
    events.push({ payload: { $case: 'artifactUpdate', value: { taskId: row.id, contextId: row.id, artifact, append: false, lastChunk: true, metadata: undefined } } });
  }
  events.push({ payload: { $case: 'statusUpdate', value: { taskId: row.id, contextId: row.id, status: status(row, state, logged.at_ms), metadata: { covenant_state: logged.state } } } });
  return events;
}

/** The task as it was at its first logged change: where a replay starts. */
export function taskAt(row: TaskRow, logged: { state: A2aTaskState; at_ms: number }): Task {
  const state = a2aState({ state: logged.state, result_status: row.result_status });
  return { ...toA2aTask(row), status: status(row, state, logged.at_ms), artifacts: [] };
}
