import { z } from 'zod';
import { CovenantError } from '../core/index.js';
import { AgentIdSchema } from '../identity/index.js';
import { TOOL_SERVER_STATES } from '../protocol/index.js';

/**
 * The catalogue of audit event kinds: every row the daemon appends is one of these, and its
 * payload matches the kind's schema (checked at compile time through `NewAuditEvent` and again
 * by `AuditLog.append`). docs/audit.md lists the same kinds for users; a test keeps both equal.
 *
 * A payload is stored as the caller built it (key order included), never as zod re-emits it:
 * the chain hashes canonical JSON, but the stored text is what older rows and tools read.
 * Changing a schema changes what new rows look like on disk: add optional fields only.
 */

const Transport = z.enum(['ipc', 'http']);
const ToolServerState = z.enum(TOOL_SERVER_STATES);
const TokenPrefix = z.string().nullable();
const Sha256Hex = z.string();
/** A purge's cutoff and how many rows it removed: the shape of every `*_purged` row but memory's. */
const Purge = { before_ms: z.number(), purged: z.number() };
/** Any JSON value, but present (a capability's scope; null when a backfill could not parse it). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type -- {} is meant: any value but undefined
const Present = z.custom<{} | null>((value) => value !== undefined, 'required');
/** Size and hash of a text the row describes without holding it. */
const TextFacts = { text_bytes: z.number(), text_sha256: Sha256Hex };

const RequestRejected = z.strictObject({
  transport: Transport,
  request_kind: z.string().nullable(),
  code: z.string(),
  token_prefix: TokenPrefix,
  /** E_RESPONSE_TOO_LARGE on the socket: the size of the reply that was not sent. */
  reply_bytes: z.number().optional(),
  /** HTTP refusals of the route itself and internal errors: what was asked. */
  method: z.string().nullable().optional(),
  path: z.string().nullable().optional(),
});

const IntentRun = {
  intent_id: z.string(),
  agent: z.string(),
  backend: z.string(),
  routed_by: z.string(),
  receipt_id: z.string(),
  wall_ms: z.number(),
  credits: z.number(),
  ...TextFacts,
};

/** Written by dispatch. */
const IntentDispatchedRun = z.strictObject({
  ...IntentRun,
  memory_record_id: z.string(),
  memory_receipt_id: z.string().nullable(),
  answer_bytes: z.number(),
  answer_sha256: Sha256Hex,
});

/** Re-created by `covenant memory repair backfill-audit` for a dispatch-written record that lost its row. */
const IntentDispatchedBackfill = z.strictObject({
  intent_id: z.string(),
  memory_record_id: z.string(),
  receipt_id: z.string().nullable(),
  memory_receipt_id: z.string().nullable(),
  agent: z.string().nullable(),
  owner: z.string(),
  created_at: z.number(),
  backfilled: z.literal(true),
  reason: z.string(),
});

const CapabilityGranted = {
  id: z.string(),
  action: z.string(),
  subject: AgentIdSchema,
  scope: Present,
  expires_at: z.number().nullable(),
  parent_id: z.string().nullable(),
};

const MemoryRepair = z.strictObject({
  action: z.string(),
  id: z.string(),
  reason: z.string(),
  changes: z.number(),
  // The facts of each repair action (see verifier/repair.ts); which ones appear depends on it.
  parent: z.string().nullable().optional(),
  record_id: z.string().nullable().optional(),
  record_existed: z.boolean().optional(),
  voided_receipt_ids: z.array(z.string()).optional(),
  children_detached: z.array(z.string()).optional(),
  receipt_id: z.string().optional(),
  backfilled_kind: z.enum(['intent_dispatched', 'capability_granted']).optional(),
});

const Budget = { intent_id: z.string(), agent: z.string() };

export const AUDIT_EVENTS = {
  // daemon
  daemon_started: z.strictObject({ version: z.string(), schema_version: z.number(), pid: z.number() }),
  daemon_stopped: z.strictObject({ reason: z.string() }),
  config_reloaded: z.strictObject({ path: z.string() }),
  audit_chain_unverified: z.strictObject({ from_seq: z.number(), failures: z.array(z.strictObject({ seq: z.number(), reason: z.string() })) }),
  config_reload_refused: z.strictObject({
    path: z.string(),
    problems: z.array(z.strictObject({ key: z.string().nullable(), line: z.number().nullable(), message: z.string() })),
  }),

  // transports and authentication
  request_rejected: RequestRejected,
  authentication_failed: z.strictObject({
    transport: Transport,
    reason: z.string(),
    token_prefix: TokenPrefix,
    first_kind: z.string().nullable().optional(),
    method: z.string().optional(),
    path: z.string().optional(),
  }),
  frame_rejected: z.strictObject({
    transport: Transport,
    reason: z.string(),
    authenticated: z.boolean(),
    token_prefix: TokenPrefix,
    path: z.string().nullable().optional(),
  }),
  connection_refused: z.strictObject({ transport: Transport, code: z.literal('E_TOO_MANY_CONNECTIONS'), limit: z.number(), refused: z.number() }),
  rate_limited: z.strictObject({ transport: Transport, token_prefix: TokenPrefix, count: z.number(), path: z.string().nullable() }),

  // operator token and peers
  operator_token_minted: z.strictObject({ token_prefix: z.string() }),
  operator_token_rotated: z.strictObject({ old_prefix: z.string(), new_prefix: z.string(), also_revoked_prefixes: z.array(z.string()).optional() }),
  operator_recovered: z.strictObject({ new_prefix: z.string(), revoked_prefixes: z.array(z.string()) }),
  peer_added: z.strictObject({ agent_id: AgentIdSchema, token_prefix: z.string() }),
  peer_revoked: z.strictObject({ prefix: z.string(), outcome: z.literal('revoked'), agent: AgentIdSchema, forced: z.boolean() }),
  peer_revoke_rejected: z.strictObject({
    prefix: z.string(),
    outcome: z.enum(['not_found', 'ambiguous', 'already_revoked', 'self_revoke_forbidden']),
    matches: z.number().optional(),
    agent: AgentIdSchema.optional(),
  }),
  peers_purged: z.strictObject(Purge),

  // operator console (SPEC 19, docs/console.md)
  console_code_issued: z.strictObject({ code_prefix: z.string(), expires_at: z.number() }),
  console_session_started: z.strictObject({ token_prefix: z.string(), code_prefix: z.string() }),
  console_session_ended: z.strictObject({ token_prefix: z.string() }),
  console_session_expired: z.strictObject({ token_prefix: z.string(), idle_ms: z.number() }),

  // capabilities
  capability_check: z.strictObject({
    required: z.string(),
    missing: z.string().nullable(),
    passed: z.boolean(),
    capability_id: z.string().nullable(),
    reason: z.string().nullable(),
  }),
  capability_granted: z.union([
    z.strictObject(CapabilityGranted),
    // Re-created by `covenant memory repair backfill-audit`.
    z.strictObject({ ...CapabilityGranted, issued_at: z.number(), backfilled: z.literal(true), reason: z.string() }),
  ]),
  capability_grant_rejected: z.strictObject({
    action: z.string().nullable(),
    subject: AgentIdSchema.nullable(),
    target: z.string().optional(),
    reason: z.string(),
  }),
  capability_revoked: z.strictObject({ id: z.string(), removed: z.array(z.string()) }),
  capability_revoke_rejected: z.strictObject({ target: z.string(), reason: z.string() }),
  capabilities_purged: z.strictObject(Purge),

  // audit log
  audit_checkpoint_signed: z.strictObject({ seq: z.number() }),
  audit_purged: z.strictObject({ ...Purge, cut_seq: z.number().nullable(), cut_chain_hash: z.string().nullable() }),

  // agents
  agent_installed: z.strictObject({
    id: z.string(),
    version: z.string(),
    runtime: z.string(),
    backend: z.string(),
    package_sha256: Sha256Hex,
    replaced: z.boolean(),
    previous_version: z.string().optional(),
  }),
  agent_removed: z.strictObject({ id: z.string(), version: z.string().nullable(), package_sha256: Sha256Hex.nullable() }),

  // intents
  intent_ignored: z.strictObject({ intent_id: z.string(), matched_rule: z.string().nullable(), source: z.string().nullable() }),
  /** Written by versions before `intent_unrouted`; kept so their rows still read. */
  intent_echoed: z.strictObject({ intent_id: z.string(), ...TextFacts }),
  intent_unrouted: z.strictObject({ intent_id: z.string(), ...TextFacts, agents_installed: z.number() }),
  intent_dispatched: z.union([IntentDispatchedRun, IntentDispatchedBackfill]),
  intent_failed: z.strictObject({ ...IntentRun, reason: z.string(), message: z.string(), exit_code: z.number().nullable() }),
  /** One host call of a running agent (SPEC 12): `outcome` is `ok` or the error code; model calls name their receipt and tokens. */
  agent_host_call: z.strictObject({
    agent: z.string(),
    intent_id: z.string(),
    call: z.string().nullable(),
    outcome: z.string(),
    tokens: z.number().nullable().optional(),
    receipt_id: z.string().nullable().optional(),
  }),

  // budget
  budget_configured: z.strictObject({ agent: z.string(), credits_per_hour: z.number(), source: z.literal('manifest') }),
  budget_set: z.strictObject({ agent: z.string(), credits_per_hour: z.number(), previous: z.number() }),
  budget_topped_up: z.strictObject({ agent: z.string(), credits: z.number(), balance: z.number() }),
  budget_exhausted: z.strictObject({ ...Budget, requested: z.number(), remaining: z.number(), refill_eta_ms: z.number() }),
  budget_preempted: z.strictObject({ ...Budget, wall_ms: z.number(), requested: z.number(), remaining: z.number(), refill_eta_ms: z.number() }),
  intent_resume_deferred: z.strictObject({ ...Budget, remaining: z.number(), refill_eta_ms: z.number() }),
  intent_resumed: z.strictObject({ ...Budget, reason: z.string() }),
  /**
   * A resumed intent that will not run: at start when the daemon did not outlive its run
   * (SIGKILL, power loss: `daemon_stopped`), or at once when its run was refused before it began
   * (the agent uninstalled, a grant revoked: `run_refused`, with the refusal's code).
   */
  intent_interrupted: z.strictObject({ ...Budget, reason: z.enum(['daemon_stopped', 'run_refused']), code: z.string().optional() }),

  // memory
  memory_written: z.strictObject({
    id: z.string(),
    tier: z.string(),
    parent: z.string().nullable(),
    receipt_id: z.string(),
    credits: z.number(),
    ...TextFacts,
  }),
  memory_purged: z.strictObject({
    tier: z.string().nullable(),
    before_ms: z.number(),
    purged: z.number(),
    ids_sha256: Sha256Hex,
    parents_detached: z.number(),
    receipts_marked: z.number(),
  }),
  memory_imported: z.strictObject({
    tier: z.string(),
    files: z.number(),
    records: z.number(),
    skipped: z.number(),
    credits: z.number(),
    text_bytes: z.number(),
    sources_sha256: Sha256Hex,
  }),
  memory_compacted: z.strictObject({
    reason: z.string(),
    mode: z.enum(['dry_run', 'apply']),
    would_change: z.number(),
    changed: z.number(),
    deleted: z.number(),
    stale_marked: z.number(),
    parents_detached: z.number(),
    deleted_ids_sha256: Sha256Hex,
  }),
  memory_repair_planned: MemoryRepair,
  memory_repair_applied: MemoryRepair,

  // settlement and tools
  receipt_batch_flushed: z.strictObject({
    batch_id: z.string(),
    merkle_root: z.string(),
    receipt_count: z.number(),
    chain: z.string(),
    tx_sig: z.string().nullable(),
  }),
  tool_call_completed: z.strictObject({
    tool: z.string(),
    /** `builtin` or the MCP server; null when the tool is unknown. */
    server: z.string().nullable().optional(),
    outcome: z.string(),
    arguments_hash_hex: z.string(),
    duration_ms: z.number().optional(),
    receipt_id: z.string(),
  }),
  // MCP servers (SPEC 11, docs/mcp.md)
  tool_server_state: z.strictObject({ server: z.string(), from: ToolServerState, to: ToolServerState, reason: z.string().nullable() }),
  tool_server_restarted: z.strictObject({ server: z.string(), state: ToolServerState, last_error: z.string().nullable() }),
  tool_server_restart_refused: z.strictObject({ server: z.string(), code: z.string() }),

  // A2A mailbox (SPEC 10, docs/a2a.md): ids, states and hashes, never a task's text
  a2a_task_queued: z.strictObject({ task_id: z.string(), recipient: z.string(), recipient_kind: z.string(), task_kind: z.string().nullable(), idempotency_key_sha256: Sha256Hex.nullable(), ...TextFacts }),
  a2a_task_replayed: z.strictObject({ task_id: z.string(), recipient: z.string(), state: z.string() }),
  a2a_sender_mismatch: z.strictObject({ claimed: z.string(), recipient: z.string() }),
  a2a_recipient_rejected: z.strictObject({ recipient: z.string(), reason: z.string(), missing: z.string().nullable() }),
  a2a_task_leased: z.strictObject({ task_id: z.string(), lease_id: z.string(), leased_to: z.string(), attempt: z.number(), receipt_id: z.string().nullable() }),
  a2a_result_written: z.strictObject({ task_id: z.string(), status: z.string(), lease_id: z.string().nullable(), by: z.string(), content_sha256: Sha256Hex }),
  a2a_result_rejected: z.strictObject({ task_id: z.string(), reason: z.string() }),
  a2a_results_drained: z.strictObject({ task_ids: z.array(z.string()) }),
  a2a_task_canceled: z.strictObject({ task_id: z.string(), previous_state: z.string() }),
  a2a_task_requeued: z.strictObject({ task_id: z.string(), lease_id: z.string(), reason: z.string(), attempt: z.number(), by: z.string() }),
  a2a_task_force_errored: z.strictObject({ task_id: z.string(), lease_id: z.string(), reason: z.string(), by: z.string() }),
  a2a_lease_mismatch: z.strictObject({ task_id: z.string(), action: z.string(), current_lease_id: z.string().nullable() }),
  a2a_retry_stale_run: z.strictObject({ enabled: z.boolean(), min_lease_age_ms: z.number(), max_attempts: z.number(), requeued: z.array(z.string()), gave_up: z.array(z.string()) }),
  a2a_compacted: z.strictObject({ removed: z.number(), task_ids_sha256: Sha256Hex }),
  a2a_rpc_rejected: z.strictObject({ method: z.string().nullable(), version: z.string(), rpc_code: z.number(), code: z.string() }),
  // Federation (SPEC 10, docs/a2a.md "Federation"): never a token beyond its 6-character prefix
  remote_added: z.strictObject({ name: z.string(), url: z.string(), card_pubkey: z.string(), pinned_by: z.string(), token_prefix: z.string() }),
  remote_removed: z.strictObject({ name: z.string(), failed_tasks: z.array(z.string()) }),
  remote_checked: z.strictObject({ name: z.string(), outcome: z.string(), seen_pubkey: z.string().nullable() }),
  remote_card_mismatch: z.strictObject({ remote: z.string(), url: z.string(), pinned_pubkey: z.string(), seen_pubkey: z.string(), task_id: z.string().nullable() }),
  a2a_remote_accepted: z.strictObject({ task_id: z.string(), remote: z.string(), remote_task_id: z.string(), delivery_attempts: z.number() }),
  a2a_remote_failed: z.strictObject({ task_id: z.string(), remote: z.string(), reason: z.string(), delivery_attempts: z.number() }),
  a2a_remote_canceled: z.strictObject({ task_id: z.string(), remote: z.string(), remote_task_id: z.string(), found: z.boolean() }),
} as const satisfies Record<string, z.ZodType<Record<string, unknown>>>;

export type AuditEventKind = keyof typeof AUDIT_EVENTS;
export type AuditPayload<K extends AuditEventKind> = z.infer<(typeof AUDIT_EVENTS)[K]>;

/** One event to append: its kind from the catalogue and a payload of that kind's schema. */
export type NewAuditEvent = { [K in AuditEventKind]: { kind: K; payload: AuditPayload<K> } }[AuditEventKind];
export type AuditEventOf<K extends AuditEventKind> = Extract<NewAuditEvent, { kind: K }>;

export function isAuditEventKind(kind: string): kind is AuditEventKind {
  return Object.hasOwn(AUDIT_EVENTS, kind);
}

/**
 * Checks an event against the catalogue at run time (a payload built from `any`, a cast, or a
 * caller in plain JavaScript): an unknown kind or a payload off its schema is a bug, refused
 * with E_INTERNAL before anything is written, so the change it records rolls back with it.
 */
export function checkAuditEvent(event: { kind: string; payload: unknown }): NewAuditEvent {
  if (!isAuditEventKind(event.kind)) {
    throw new CovenantError('E_INTERNAL', `audit event kind ${JSON.stringify(event.kind.slice(0, 64))} is not in the catalogue (src/audit/events.ts)`);
  }
  const parsed = AUDIT_EVENTS[event.kind].safeParse(event.payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${issue.path.map(String).join('.')}: ` : '';
    throw new CovenantError('E_INTERNAL', `audit event ${event.kind} does not match its schema (${where}${issue?.message ?? 'invalid'})`, {
      cause: parsed.error,
    });
  }
  return event as NewAuditEvent;
}

/** A stored payload read back as its kind's type; null when the row does not match the catalogue. */
export function readAuditPayload<K extends AuditEventKind>(kind: K, payload: unknown): AuditPayload<K> | null {
  const parsed = AUDIT_EVENTS[kind].safeParse(payload);
  return parsed.success ? (parsed.data as AuditPayload<K>) : null;
}

/**
 * The one builder of a `request_rejected` event, for every transport and refusal site: the
 * fields always in this order, then what only some refusals add (the reply size of an
 * oversized socket reply; method and redacted path of an HTTP refusal that the kind alone
 * does not describe).
 */
export function requestRejected(
  facts: {
    transport: 'ipc' | 'http';
    requestKind: string | null;
    code: string;
    tokenPrefix: string | null;
  } & ({ replyBytes?: number; where?: undefined } | { replyBytes?: undefined; where?: { method: string | null; path: string | null } }),
): AuditEventOf<'request_rejected'> {
  const payload: AuditPayload<'request_rejected'> = {
    transport: facts.transport,
    request_kind: facts.requestKind,
    code: facts.code,
    token_prefix: facts.tokenPrefix,
  };
  if (facts.replyBytes !== undefined) payload.reply_bytes = facts.replyBytes;
  if (facts.where) Object.assign(payload, { method: facts.where.method, path: facts.where.path });
  return { kind: 'request_rejected', payload };
}

/**
 * The memory record an `intent_dispatched` row names: its memory_record_id, else (rows of
 * older versions) its intent_id, which dispatch uses as the record id. Read leniently: the
 * verifier must still see what a damaged or older row points at.
 */
export function dispatchedRecordId(payload: Record<string, unknown>): string | null {
  const id = typeof payload.memory_record_id === 'string' ? payload.memory_record_id : payload.intent_id;
  return typeof id === 'string' ? id : null;
}
