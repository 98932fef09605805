import { cancelOnRemote, recipientRejected, resolveRecipient, taskView } from '../../a2a/index.js';
import { CovenantError } from '../../core/index.js';
import { A2A_MAX_LIMIT } from '../../protocol/index.js';
import { visibleOwner, type Caller } from '../caller.js';
import type { DaemonContext } from '../context.js';
import type { HandlerGroup } from './handler.js';

const DEFAULT_LIMIT = 20;

/** Does `claimed` (a display or pubkey) name the authenticated caller? */
function namesCaller(caller: Caller, claimed: string): boolean {
  return claimed === caller.agentId.display || claimed === caller.agentId.pubkey;
}

/** An action that names a resolved party, checked once the handler knows it (the table's authorize cannot). */
function requireAction(ctx: DaemonContext, caller: Caller, required: string): void {
  ctx.capabilities.require({ caller: caller.agentId, required, callerIsOperator: caller.role === 'operator' });
}

/**
 * Admission (SPEC 10): the claimed sender must be the caller, the caller must hold
 * `a2a.send.<recipient>`, and a peer recipient must hold `a2a.recv.<sender>`. Each check writes
 * `capability_check`; a refusal also writes its `a2a_*` row and nothing is queued.
 */
function admit(ctx: DaemonContext, caller: Caller, params: { recipient: string; sender?: string | undefined }) {
  const recipient = resolveRecipient({ peers: ctx.peerQueries, agents: ctx.runtime.agents, remotes: ctx.remotes }, params.recipient);
  if (params.sender !== undefined && !namesCaller(caller, params.sender)) {
    throw new CovenantError('E_FORBIDDEN', `you are authenticated as ${caller.agentId.display}; a task can only be sent as yourself`, {
      auditEvent: { kind: 'a2a_sender_mismatch', payload: { claimed: params.sender.slice(0, 200), recipient: recipient.display } },
    });
  }
  requireAction(ctx, caller, `a2a.send.${recipient.display}`);
  if (recipient.kind === 'peer') {
    const required = `a2a.recv.${caller.agentId.display}`;
    const check = ctx.capabilities.check({ caller: recipient.agentId, required });
    if (!check.passed) {
      throw recipientRejected(
        'E_CAPABILITY_MISSING',
        `${recipient.display} does not accept tasks from ${caller.agentId.display}: it lacks ${required}; the operator can grant it with: covenant capabilities grant ${required} --to ${recipient.display}`,
        recipient.display,
        'recipient_lacks_capability',
        required,
      );
    }
  }
  return recipient;
}

export const a2aHandlers: HandlerGroup<
  'a2a_send' | 'a2a_recv' | 'a2a_respond' | 'a2a_results' | 'a2a_status' | 'a2a_cancel' | 'a2a_requeue' | 'a2a_force_error' | 'a2a_retry_stale' | 'a2a_compact'
> = {
  a2a_send: (params, { caller }, ctx) => {
    const recipient = admit(ctx, caller, params);
    const { replayed, task } = ctx.mailbox.send({
      sender: caller.agentId,
      transport: caller.transport,
      recipient,
      text: params.text,
      taskKind: params.task_kind,
      parent: params.parent,
      deadlineMs: params.deadline_ms,
      idempotencyKey: params.idempotency_key,
    });
    return { kind: 'a2a_sent', replayed, task: taskView(task) };
  },

  a2a_recv: async (params, { caller, signal }, ctx) => {
    const task = await ctx.mailbox.recv(caller.agentId, params.wait_ms ?? 0, signal);
    return { kind: 'a2a_received', task: task === null ? null : taskView(task) };
  },

  a2a_respond: (params, { caller }, ctx) => {
    const task = ctx.mailbox.requireRespondable(params.task_id, caller.agentId.pubkey, params.lease_id);
    requireAction(ctx, caller, `a2a.respond.${task.sender_display}`);
    const result = { status: params.status, content: params.content, errorMessage: params.error_message };
    const done = ctx.mailbox.respond(params.task_id, { leasedTo: caller.agentId.pubkey, issuer: caller.agentId }, result, params.lease_id);
    return { kind: 'a2a_responded', task_id: done.id, state: done.state, status: params.status };
  },

  a2a_results: async (params, { caller, signal }, ctx) => {
    const tasks = await ctx.mailbox.drainResults(caller.agentId, params.limit ?? A2A_MAX_LIMIT, params.wait_ms ?? 0, signal);
    return { kind: 'a2a_results', tasks: tasks.map(taskView) };
  },

  a2a_status: (params, { caller }, ctx) => {
    const limit = params.limit ?? DEFAULT_LIMIT;
    const party = visibleOwner(caller);
    const leasedBefore = params.min_lease_age_ms === undefined ? undefined : ctx.clock.now() - params.min_lease_age_ms;
    const tasks = ctx.mailbox.store.list({ party, state: params.state, leasedBefore, limit });
    return {
      kind: 'a2a_status',
      limit,
      filters: { state: params.state ?? null, min_lease_age_ms: params.min_lease_age_ms ?? null },
      counts: ctx.mailbox.store.counts(party),
      retry_stale: ctx.mailbox.retryStalePolicy(),
      tasks: tasks.map(taskView),
    };
  },

  a2a_cancel: async (params, { caller, signal }, ctx) => {
    // A task a remote accepted is canceled there first: refused, and left as it is, when the remote cannot confirm.
    const task = ctx.mailbox.get(params.task_id);
    const delivered = task?.recipient_kind === 'remote' && task.state === 'in_flight' && task.sender_pubkey === caller.agentId.pubkey;
    const remote = delivered ? await cancelOnRemote(ctx.remotes, ctx.db, task, signal) : null;
    const { previous } = ctx.db.transaction(() => {
      const canceled = ctx.mailbox.cancel(params.task_id, caller.agentId);
      if (remote) ctx.audit.append(caller.agentId, { kind: 'a2a_remote_canceled', payload: { task_id: params.task_id, ...remote } });
      return canceled;
    })();
    return { kind: 'a2a_canceled', task_id: params.task_id, previous_state: previous, state: 'canceled' };
  },

  a2a_requeue: (params, { caller }, ctx) => {
    const task = ctx.mailbox.requeue(params.task_id, params.lease_id, params.reason, caller.agentId);
    return { kind: 'a2a_requeued', task_id: task.id, state: 'queued', attempt: task.attempt };
  },

  a2a_force_error: (params, { caller }, ctx) => {
    const task = ctx.mailbox.forceError(params.task_id, params.lease_id, params.reason, params.message, caller.agentId);
    return { kind: 'a2a_force_errored', task_id: task.id, state: 'result_pending' };
  },

  a2a_retry_stale: (params, { caller }, ctx) => {
    const stored = ctx.mailbox.retryStalePolicy();
    const policy = {
      enabled: params.enable ?? stored.enabled,
      min_lease_age_ms: params.min_lease_age_ms ?? stored.min_lease_age_ms,
      max_attempts: params.max_attempts ?? stored.max_attempts,
    };
    // A one-off pass with other bounds leaves the stored policy alone; --enable/--disable store it.
    const outcome = ctx.mailbox.retryStale(policy, caller.agentId, { save: params.enable !== undefined, auditEmpty: true });
    if (params.enable !== undefined) ctx.retryStaleTimer.reschedule();
    return { kind: 'a2a_retry_stale', policy, ...outcome };
  },

  a2a_compact: (_params, { caller }, ctx) => ({ kind: 'a2a_compacted', removed: ctx.mailbox.compact(caller.agentId) }),
};
