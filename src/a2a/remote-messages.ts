/**
 * The A2A messages federation sends and how it reads the answers: a local task becomes a
 * `SendMessage` whose `messageId` is the task id (the remote's idempotency key, so a retried
 * delivery never runs twice there), and a remote task in a terminal state becomes a result.
 */
import { Role, TaskState, type Part, type SendMessageRequest, type Task } from '@a2a-js/sdk';
import type { SendMessageResult } from '@a2a-js/sdk';
import type { A2aContent } from '../protocol/index.js';
import type { ResultInput } from './mailbox.js';
import type { TaskRow } from './task-rows.js';

export function sendMessageRequest(task: TaskRow, target: string): SendMessageRequest {
  const skill = target.endsWith('@agent') ? { skill_id: target.slice(0, -'@agent'.length) } : {};
  return {
    tenant: '',
    message: {
      messageId: task.id,
      contextId: '',
      taskId: '',
      role: Role.ROLE_USER,
      parts: [{ content: { $case: 'text', value: task.intent_text }, metadata: undefined, filename: '', mediaType: 'text/plain' }],
      metadata: { covenant_recipient: target, ...skill },
      extensions: [],
      referenceTaskIds: [],
    },
    // Answer at once with the task; it is followed with GetTask until it ends.
    configuration: { acceptedOutputModes: ['text/plain', 'application/json'], taskPushNotificationConfig: undefined, returnImmediately: true },
    metadata: undefined,
  };
}

/** A reply that is neither a task nor a message: the remote answered something else. */
export class GarbageAnswer extends Error {}

export type RemoteOutcome = { kind: 'task'; task: Task } | { kind: 'message'; result: ResultInput };

/** What a `SendMessage` answered: a task to follow, or a direct message (already the result). */
export function readSendAnswer(answer: SendMessageResult): RemoteOutcome {
  const value = answer as unknown as Record<string, unknown>;
  if (typeof value.messageId === 'string' && Array.isArray(value.parts)) {
    return { kind: 'message', result: { status: 'ok', content: contentOf(value.parts as Part[]) } };
  }
  return { kind: 'task', task: readTask(answer) };
}

/** A task as `GetTask` answers it; anything without an id and a state is garbage. */
export function readTask(answer: unknown): Task {
  const value = answer as Partial<Task> | null;
  if (typeof value !== 'object' || value === null || typeof value.id !== 'string' || value.id === '' || typeof value.status?.state !== 'number') {
    throw new GarbageAnswer('the remote answered something that is not an A2A task');
  }
  return value as Task;
}

const TERMINAL = new Set<TaskState>([TaskState.TASK_STATE_COMPLETED, TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED]);
/** States where the remote waits for input federation cannot give: ended as errors. */
const INTERRUPTED = new Set<TaskState>([TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED]);

/** The local result of a remote task that has ended; null while it runs. */
export function resultOf(task: Task, remoteLabel: string): ResultInput | null {
  const state = task.status!.state;
  if (!TERMINAL.has(state) && !INTERRUPTED.has(state)) return null;
  const content = task.artifacts.flatMap((artifact) => contentOf(artifact.parts));
  const said = contentOf(task.status?.message?.parts ?? [])
    .map((c) => (c.type === 'text' ? c.text : JSON.stringify(c.value)))
    .join(' ')
    .slice(0, 2000);
  if (state === TaskState.TASK_STATE_COMPLETED) return { status: 'ok', content: content.length > 0 ? content : contentOf(task.status?.message?.parts ?? []) };
  const how =
    state === TaskState.TASK_STATE_CANCELED ? 'was canceled' : state === TaskState.TASK_STATE_REJECTED ? 'was rejected' : INTERRUPTED.has(state) ? 'asks for input (not supported by federation)' : 'failed';
  return { status: 'error', content, errorMessage: `task ${task.id} on ${remoteLabel} ${how}${said ? `: ${said}` : ''}` };
}

function contentOf(parts: readonly Part[]): A2aContent[] {
  const content: A2aContent[] = [];
  for (const part of parts) {
    if (part?.content?.$case === 'text') content.push({ type: 'text', text: part.content.value });
    else if (part?.content?.$case === 'data') content.push({ type: 'json', value: part.content.value as unknown });
  }
  return content;
}
