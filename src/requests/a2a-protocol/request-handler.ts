/**
 * The public A2A protocol's request handler (SPEC 10): the SDK's JSON-RPC transport handlers
 * (v1.0 and the v0.3 compatibility layer) call it; it answers from the durable mailbox. A
 * message becomes a mailbox task through `executeRequest` (`a2a_send`: the same admission,
 * capability gates, audit rows and receipts as `covenant a2a send`), its `messageId` being the
 * idempotency key, so a retried SendMessage never queues twice. Streams replay the task's
 * durable event log, then follow it live (woken by the mailbox's commits, never by a timer).
 */
import type {
  AgentCard,
  CancelTaskRequest,
  DeleteTaskPushNotificationConfigRequest,
  GetTaskPushNotificationConfigRequest,
  GetTaskRequest,
  ListTaskPushNotificationConfigsRequest,
  ListTaskPushNotificationConfigsResponse,
  ListTasksRequest,
  ListTasksResponse,
  Message,
  Part,
  SendMessageRequest,
  StreamResponse,
  SubscribeToTaskRequest,
  Task,
  TaskPushNotificationConfig,
} from '@a2a-js/sdk';
import { A2AError, ExtendedAgentCardNotConfiguredError, PushNotificationNotSupportedError } from '@a2a-js/sdk/errors';
import type { A2ARequestHandler, ServerCallContext } from '@a2a-js/sdk/server';
import { AGENT_SUFFIX, buildAgentCard, longPoll, recipientRejected, taskKey, type TaskRow } from '../../a2a/index.js';
import { CovenantError, redact } from '../../core/index.js';
import type { DaemonContext } from '../context.js';
import { executeRequest, type Reply } from '../execute-request.js';
import { asRefusal, recordRefusal } from '../refusal.js';
import { callerOf, markAudited, resumeAfter, setEventId, signalOf } from './call-context.js';
import { MailboxTaskStore } from './mailbox-task-store.js';
import { rpcError } from './rpc-errors.js';
import { eventsOf, isTerminal, taskAt, toA2aTask } from './task-mapping.js';

/** How long a blocking SendMessage waits for a terminal state before answering the task as it is. */
export const DEFAULT_SEND_WAIT_MS = 30_000;
/** A stream following a task re-reads its log at least this often (a commit wakes it first). */
const FOLLOW_RECHECK_MS = 60_000;

export interface A2aProtocolOptions {
  /** Blocking SendMessage's bound (default 30 s). */
  sendWaitMs?: number | undefined;
}

function textOf(parts: readonly Part[]): string {
  return parts
    .map((part) => {
      switch (part.content?.$case) {
        case 'text':
          return part.content.value;
        case 'data':
          return JSON.stringify(part.content.value);
        default:
          throw new CovenantError('E_BAD_REQUEST', 'a message to Covenant carries text and data parts only (no files or URLs)');
      }
    })
    .join('\n');
}

const stringField = (metadata: Record<string, unknown> | undefined, key: string): string | undefined =>
  typeof metadata?.[key] === 'string' && metadata[key] !== '' ? metadata[key] : undefined;

export class CovenantA2aHandler implements A2ARequestHandler {
  readonly tasks: MailboxTaskStore;
  private readonly sendWaitMs: number;

  constructor(
    private readonly ctx: DaemonContext,
    options: A2aProtocolOptions = {},
  ) {
    this.tasks = new MailboxTaskStore(ctx.mailbox);
    this.sendWaitMs = options.sendWaitMs ?? DEFAULT_SEND_WAIT_MS;
  }

  getAgentCard(): Promise<AgentCard> {
    // What the transport handlers read from it: the interfaces (versions) and the streaming capability.
    const card = buildAgentCard({ baseUrl: '', version: this.ctx.daemonVersion, agents: this.ctx.runtime.agents.list() });
    return Promise.resolve(card as unknown as AgentCard);
  }

  getAuthenticatedExtendedAgentCard(): Promise<AgentCard> {
    return Promise.reject(new ExtendedAgentCardNotConfiguredError('this daemon has no extended agent card; the public card is at /.well-known/agent-card.json'));
  }

  async sendMessage(params: SendMessageRequest, context: ServerCallContext): Promise<Message | Task> {
    return this.guard(context, false, async () => {
      const row = await this.submit(params, context);
      if (params.configuration?.returnImmediately === true || isTerminal(row)) return toA2aTask(row, params.configuration?.historyLength);
      const settled = await longPoll(this.ctx.mailbox.wakeups, taskKey(row.id), this.sendWaitMs, signalOf(context), () => {
        const now = this.ctx.mailbox.get(row.id);
        return now === null || isTerminal(now) ? now : null;
      });
      // Woken by the result's write: answered once that write is committed.
      await this.ctx.commits.durable();
      return toA2aTask(settled ?? this.ctx.mailbox.get(row.id) ?? row, params.configuration?.historyLength);
    });
  }

  async *sendMessageStream(params: SendMessageRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const row = await this.guard(context, false, () => this.submit(params, context));
    yield* this.follow(row.id, context, 0);
  }

  async *resubscribe(params: SubscribeToTaskRequest, context: ServerCallContext): AsyncGenerator<StreamResponse, void, undefined> {
    const { row, after } = await this.guard(context, true, () => Promise.resolve({ row: this.sentTask(params.id, context), after: resumeAfter(context) }));
    yield* this.follow(row.id, context, after);
  }

  getTask(params: GetTaskRequest, context: ServerCallContext): Promise<Task> {
    return this.guard(context, true, () => Promise.resolve(toA2aTask(this.sentTask(params.id, context), params.historyLength)));
  }

  listTasks(params: ListTasksRequest, context: ServerCallContext): Promise<ListTasksResponse> {
    return this.guard(context, false, () => this.tasks.list(params, context));
  }

  cancelTask(params: CancelTaskRequest, context: ServerCallContext): Promise<Task> {
    return this.guard(context, true, async () => {
      await this.request(context, true, { kind: 'a2a_cancel', task_id: params.id });
      return toA2aTask(this.sentTask(params.id, context));
    });
  }

  createTaskPushNotificationConfig(): Promise<TaskPushNotificationConfig> {
    return Promise.reject(pushNotSupported());
  }

  getTaskPushNotificationConfig(_params: GetTaskPushNotificationConfigRequest): Promise<TaskPushNotificationConfig> {
    return Promise.reject(pushNotSupported());
  }

  listTaskPushNotificationConfigs(_params: ListTaskPushNotificationConfigsRequest): Promise<ListTaskPushNotificationConfigsResponse> {
    return Promise.reject(pushNotSupported());
  }

  deleteTaskPushNotificationConfig(_params: DeleteTaskPushNotificationConfigRequest): Promise<void> {
    return Promise.reject(pushNotSupported());
  }

  // ------------------------------------------------------------------------ internals

  /** Queues (or, for a messageId already used, finds) the mailbox task of a message: `a2a_send` of the caller. */
  private async submit(params: SendMessageRequest, context: ServerCallContext): Promise<TaskRow> {
    const message = params.message;
    if (!message || message.messageId === '') throw new CovenantError('E_BAD_REQUEST', 'SendMessage needs a message with a messageId');
    if (message.taskId !== '') {
      throw new CovenantError('E_BAD_REQUEST', 'a Covenant task takes one message: send a new message (without taskId) for a new task');
    }
    const text = textOf(message.parts);
    const recipient = this.recipientFor(context, message, params.metadata, text);
    const reply = await this.request(context, false, { kind: 'a2a_send', recipient, text, idempotency_key: message.messageId });
    const task = reply.task as { id: string };
    return this.ctx.mailbox.get(task.id)!;
  }

  /**
   * `metadata.covenant_recipient`, else the skill `metadata.skill_id`, else the recipient of the
   * caller's earlier task with this messageId (a retry goes where the first try went), else the
   * router's choice among the installed agents.
   */
  private recipientFor(context: ServerCallContext, message: Message, requestMetadata: Record<string, unknown> | undefined, text: string): string {
    const metadata = { ...requestMetadata, ...message.metadata } as Record<string, unknown>;
    const named = stringField(metadata, 'covenant_recipient');
    if (named !== undefined) return named;
    const skill = stringField(metadata, 'skill_id');
    if (skill !== undefined) return `${skill}${AGENT_SUFFIX}`;
    const earlier = this.ctx.mailbox.store.bySenderKey(callerOf(context).agentId.pubkey, message.messageId);
    if (earlier !== null) return earlier.recipient;
    const decision = this.ctx.intents.router.route(text, this.ctx.runtime.agents.list());
    if (decision === null) {
      throw recipientRejected(
        'E_NOT_FOUND',
        'no installed agent fits this message; name the recipient with metadata.covenant_recipient ("<id>@agent" or a peer) or metadata.skill_id (a skill of the agent card)',
        '(router)',
        'unrouted',
      );
    }
    return `${decision.agent}${AGENT_SUFFIX}`;
  }

  /** One request through `executeRequest`; its refusal (audited there) becomes the JSON-RPC error. */
  private async request(context: ServerCallContext, taskScoped: boolean, message: { kind: string; [key: string]: unknown }): Promise<Reply> {
    const reply = await executeRequest(this.ctx, callerOf(context), message, signalOf(context));
    if (reply.kind === 'error') {
      markAudited(context);
      const { code, message: text } = reply as unknown as { code: CovenantError['code']; message: string };
      throw rpcError(new CovenantError(code, text), taskScoped);
    }
    return reply;
  }

  private sentTask(taskId: string, context: ServerCallContext): TaskRow {
    const row = this.tasks.row(taskId, context);
    if (row === null) throw new CovenantError('E_NOT_FOUND', `no task ${redact(taskId).slice(0, 80)} sent by you; see ListTasks`);
    return row;
  }

  /**
   * Runs one call; a Covenant refusal it throws is recorded through the one refusal path (its
   * own row, else `request_rejected`) and answered as a JSON-RPC error; anything else unknown
   * (a bug) as E_INTERNAL, never with its message.
   */
  private async guard<T>(context: ServerCallContext, taskScoped: boolean, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (error instanceof A2AError) throw error;
      const caller = callerOf(context);
      const site = { transport: caller.transport, issuer: caller.agentId, tokenPrefix: caller.tokenPrefix, requestKind: 'a2a_rpc' };
      const answer = recordRefusal(this.ctx, asRefusal(this.ctx, error, site), site);
      markAudited(context);
      throw rpcError(answer, taskScoped);
    }
  }

  /**
   * Every event of a task from its durable log: the task as first logged, each later change
   * (the result's artifact before the final status), then live changes until a terminal one.
   * A client that subscribes again gets the whole history again, so nothing it missed is lost;
   * one that sends `Last-Event-ID` gets the changes after that event only. Each status event
   * (and the first task) carries its change's seq as its SSE id; an artifact carries none, so a
   * client cut off between the artifact and its status resumes at the artifact.
   */
  private async *follow(taskId: string, context: ServerCallContext, resumeAfterSeq: number): AsyncGenerator<StreamResponse, void, undefined> {
    const signal = signalOf(context);
    let after = resumeAfterSeq;
    let first = resumeAfterSeq === 0;
    for (;;) {
      const logged = this.ctx.mailbox.store.events(taskId, after);
      const row = this.ctx.mailbox.get(taskId);
      if (row === null) return;
      if (logged.length > 0) {
        // A change is streamed only once it is committed (it may have been read in its own turn).
        await this.ctx.commits.durable();
        for (const entry of logged) {
          after = entry.seq;
          if (first) {
            first = false;
            setEventId(context, entry.seq);
            yield { payload: { $case: 'task', value: taskAt(row, entry) } };
            continue;
          }
          for (const event of eventsOf(row, entry)) {
            setEventId(context, event.payload?.$case === 'statusUpdate' ? entry.seq : null);
            yield event;
          }
          if (entry.state === 'result_pending' || entry.state === 'canceled') return;
        }
        continue;
      }
      if (isTerminal(row) || signal.aborted) return;
      await this.ctx.mailbox.wakeups.wait(taskKey(taskId), FOLLOW_RECHECK_MS, signal);
    }
  }
}

function pushNotSupported(): A2AError {
  return new PushNotificationNotSupportedError('push notifications are not supported: use SubscribeToTask (SSE) or GetTask');
}
