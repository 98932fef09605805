import { z } from 'zod';
import { AgentIdViewSchema } from '../agent-id.js';
import { A2A_MAX_LIMIT, A2A_MAX_WAIT_MS, A2A_RESULT_STATUSES, A2A_TASK_STATES } from '../constants.js';
import { defineRequest } from '../request-definition.js';

/** The A2A mailbox (SPEC 10): request kinds `a2a_*`, and the task and result as the wire shows them. */

/** Default `--min-lease-age-ms` and `--max-attempts` of `a2a retry-stale`. */
export const A2A_DEFAULT_STALE_LEASE_MS = 60_000;
export const A2A_DEFAULT_MAX_ATTEMPTS = 3;

export const A2aContentSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text'), text: z.string() }),
  z.strictObject({ type: z.literal('json'), value: z.unknown() }),
]);
export type A2aContent = z.infer<typeof A2aContentSchema>;

export const A2aResultSchema = z.strictObject({
  task_id: z.string(),
  status: z.enum(A2A_RESULT_STATUSES),
  content: z.array(A2aContentSchema),
  error_message: z.string().nullable(),
  completed_at: z.number().int(),
});
export type A2aResult = z.infer<typeof A2aResultSchema>;

export const A2aTaskSchema = z.strictObject({
  id: z.string(),
  sender: AgentIdViewSchema,
  recipient: z.string(),
  recipient_kind: z.enum(['peer', 'agent', 'remote']),
  intent_text: z.string(),
  task_kind: z.string().nullable(),
  parent: z.string().nullable(),
  deadline_ms: z.number().int().nullable(),
  idempotency_key: z.string().nullable(),
  created_at: z.number().int(),
  state: z.enum(A2A_TASK_STATES),
  lease_id: z.string().nullable(),
  leased_to: z.string().nullable(),
  leased_at_ms: z.number().int().nullable(),
  attempt: z.number().int(),
  result: A2aResultSchema.nullable(),
});
export type A2aTask = z.infer<typeof A2aTaskSchema>;
export type A2aTaskState = A2aTask['state'];

const TaskId = z.string().min(1).max(128);
const LeaseId = z.string().min(1).max(128);
const Reason = z.string().trim().min(1, 'give a reason (--reason)').max(500);
const WaitMs = z.number().int().min(0).max(A2A_MAX_WAIT_MS, `wait_ms is at most ${A2A_MAX_WAIT_MS}`);
const Limit = z.number().int().min(1).max(A2A_MAX_LIMIT);
const Key = z.string().min(1).max(200);

export const a2aSend = defineRequest({
  kind: 'a2a_send',
  summary: 'Queue a task for a peer, an installed agent or <agent>@<remote> (needs a2a.send.<recipient>; a peer recipient needs a2a.recv.<sender>).',
  params: z.object({
    recipient: z.string().min(1).max(200),
    text: z.string().min(1, 'task text must not be empty').max(1_000_000),
    task_kind: Key.optional(),
    parent: TaskId.optional(),
    deadline_ms: z.number().int().positive().optional(),
    idempotency_key: Key.optional(),
    /** A claimed sender (display or pubkey); refused unless it is the authenticated caller. */
    sender: z.string().min(1).max(200).optional(),
  }),
  response: z.strictObject({ kind: z.literal('a2a_sent'), replayed: z.boolean(), task: A2aTaskSchema }),
  // The actions name the resolved recipient and sender, so the handler checks them (docs/a2a.md).
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/a2a/send' },
  mutates: true,
});

export const a2aRecv = defineRequest({
  kind: 'a2a_recv',
  summary: 'Lease your next queued task (the lease is written before it is delivered); wait_ms long-polls.',
  params: z.object({ wait_ms: WaitMs.optional() }),
  response: z.strictObject({ kind: z.literal('a2a_received'), task: A2aTaskSchema.nullable() }),
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/a2a/recv' },
  mutates: true,
});

export const a2aRespond = defineRequest({
  kind: 'a2a_respond',
  summary: 'Write the result of a task you hold the lease of (needs a2a.respond.<sender>).',
  params: z.object({
    task_id: TaskId,
    status: z.enum(A2A_RESULT_STATUSES),
    content: z.array(A2aContentSchema).max(64).default([]),
    error_message: z.string().max(4096).optional(),
    lease_id: LeaseId.optional(),
  }),
  response: z.strictObject({ kind: z.literal('a2a_responded'), task_id: z.string(), state: z.enum(A2A_TASK_STATES), status: z.enum(A2A_RESULT_STATUSES) }),
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/a2a/respond' },
  mutates: true,
});

export const a2aResults = defineRequest({
  kind: 'a2a_results',
  summary: 'Drain the results of tasks you sent (each is answered once); wait_ms long-polls.',
  params: z.object({ wait_ms: WaitMs.optional(), limit: Limit.optional() }),
  response: z.strictObject({ kind: z.literal('a2a_results'), tasks: z.array(A2aTaskSchema) }),
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/a2a/results' },
  mutates: true,
});

export const a2aStatus = defineRequest({
  kind: 'a2a_status',
  summary: 'Tasks you sent or received (the operator: all), newest first, with counts per state.',
  params: z.object({
    limit: Limit.optional(),
    state: z.enum(A2A_TASK_STATES).optional(),
    min_lease_age_ms: z.number().int().nonnegative().optional(),
  }),
  response: z.strictObject({
    kind: z.literal('a2a_status'),
    limit: z.number().int(),
    filters: z.strictObject({ state: z.enum(A2A_TASK_STATES).nullable(), min_lease_age_ms: z.number().int().nullable() }),
    counts: z.strictObject({ queued: z.number().int(), in_flight: z.number().int(), result_pending: z.number().int(), done: z.number().int(), canceled: z.number().int() }),
    retry_stale: z.strictObject({ enabled: z.boolean(), min_lease_age_ms: z.number().int(), max_attempts: z.number().int() }),
    tasks: z.array(A2aTaskSchema),
  }),
  authorize: () => ({ action: null }),
  http: { method: 'GET', path: '/a2a/status' },
  mutates: false,
});

export const a2aCancel = defineRequest({
  kind: 'a2a_cancel',
  summary: 'Cancel a task you sent that has no result yet.',
  params: z.object({ task_id: TaskId }),
  response: z.strictObject({ kind: z.literal('a2a_canceled'), task_id: z.string(), previous_state: z.enum(A2A_TASK_STATES), state: z.literal('canceled') }),
  authorize: () => ({ action: null }),
  http: { method: 'POST', path: '/a2a/cancel' },
  mutates: true,
});

export const a2aRequeue = defineRequest({
  kind: 'a2a_requeue',
  summary: 'Put a leased task back in the queue; lease_id must name its current lease (the stale-lease guard).',
  params: z.object({ task_id: TaskId, reason: Reason, lease_id: LeaseId }),
  response: z.strictObject({ kind: z.literal('a2a_requeued'), task_id: z.string(), state: z.literal('queued'), attempt: z.number().int() }),
  authorize: () => ({ action: 'a2a.repair.requeue' }),
  http: { method: 'POST', path: '/a2a/requeue' },
  mutates: true,
});

export const a2aForceError = defineRequest({
  kind: 'a2a_force_error',
  summary: 'Fail a leased task with an error result; lease_id must name its current lease (the stale-lease guard).',
  params: z.object({ task_id: TaskId, reason: Reason, message: z.string().trim().min(1, 'give a message (--message)').max(4096), lease_id: LeaseId }),
  response: z.strictObject({ kind: z.literal('a2a_force_errored'), task_id: z.string(), state: z.literal('result_pending') }),
  authorize: () => ({ action: 'a2a.repair.force_error' }),
  http: { method: 'POST', path: '/a2a/force-error' },
  mutates: true,
});

export const RetryStalePolicySchema = z.strictObject({ enabled: z.boolean(), min_lease_age_ms: z.number().int(), max_attempts: z.number().int() });
export type RetryStalePolicy = z.infer<typeof RetryStalePolicySchema>;

export const a2aRetryStale = defineRequest({
  kind: 'a2a_retry_stale',
  summary: 'Requeue leases older than min_lease_age_ms, failing tasks that reached max_attempts; enable makes the daemon do it by itself.',
  params: z.object({
    enable: z.boolean().optional(),
    min_lease_age_ms: z.number().int().nonnegative().optional(),
    max_attempts: z.number().int().min(1).max(100).optional(),
  }),
  response: z.strictObject({
    kind: z.literal('a2a_retry_stale'),
    policy: RetryStalePolicySchema,
    requeued: z.array(z.string()),
    gave_up: z.array(z.string()),
  }),
  authorize: () => ({ action: 'a2a.repair.retry_stale' }),
  http: { method: 'POST', path: '/a2a/retry-stale' },
  mutates: true,
});

export const a2aCompact = defineRequest({
  kind: 'a2a_compact',
  summary: 'Drop tasks whose results were drained (state done), with their event log.',
  params: z.object({}),
  response: z.strictObject({ kind: z.literal('a2a_compacted'), removed: z.number().int() }),
  authorize: () => ({ action: 'a2a.compact' }),
  http: { method: 'POST', path: '/a2a/compact' },
  mutates: true,
});
