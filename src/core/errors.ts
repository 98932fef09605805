/**
 * The error catalogue: every error the daemon or CLI reports has a stable code from this
 * table, and the HTTP status the gateway answers with.
 */
export const ERROR_CATALOGUE = {
  E_BAD_REQUEST: { status: 400 },
  E_INVALID_JSON: { status: 400 },
  E_UNKNOWN_KIND: { status: 400 },
  E_FRAME_TOO_LARGE: { status: 413 },
  // The request asks for more than one reply may carry (8 MiB): narrow it (docs/ipc-limits.md).
  E_RESPONSE_TOO_LARGE: { status: 413 },
  // The socket already holds its maximum of connections; retry once some have closed.
  E_TOO_MANY_CONNECTIONS: { status: 503 },
  E_AUTH_REQUIRED: { status: 401 },
  E_AUTH_FAILED: { status: 401 },
  E_FORBIDDEN: { status: 403 },
  E_CAPABILITY_MISSING: { status: 403 },
  E_CAPABILITY_INVALID: { status: 400 },
  E_GRANT_REJECTED: { status: 403 },
  // `capabilities grant` of an action neither in the daemon's catalogue nor declared by an installed agent.
  E_UNKNOWN_ACTION: { status: 400 },
  E_NOT_FOUND: { status: 404 },
  // A prefix (of an id, a token, a pubkey) matches more than one: the message lists them.
  E_AMBIGUOUS: { status: 400 },
  E_METHOD_NOT_ALLOWED: { status: 405 },
  E_CONFLICT: { status: 409 },
  E_RATE_LIMITED: { status: 429 },
  E_BUDGET_EXHAUSTED: { status: 402 },
  E_AGENT_FAILED: { status: 502 },
  E_AUDIT_UNAVAILABLE: { status: 503 },
  E_SHUTTING_DOWN: { status: 503 },
  E_INTERNAL: { status: 500 },
  // Raised on the client side only.
  E_DAEMON_UNREACHABLE: { status: 503 },
  E_TOKEN_MISSING: { status: 401 },
  E_PROTOCOL: { status: 502 },
  // Raised by covenantd at start-up.
  E_HOME_UNSAFE: { status: 500 },
  E_ALREADY_RUNNING: { status: 409 },
  E_HOME_NOT_WRITABLE: { status: 500 },
  // Raised by covenantd while running: the disk holding $COVENANT_HOME is full.
  E_STORAGE_FULL: { status: 507 },
  // MCP servers (SPEC 11, docs/mcp.md).
  // A [[mcp.server]] entry of config.toml is malformed (unknown key, bad glob, bad value).
  E_CONFIG_INVALID: { status: 500 },
  // The tool's server died while the call was in flight; the call is not replayed.
  E_TOOL_SERVER_CRASHED: { status: 502 },
  // The tool's server is not up (starting, backoff, failed, disabled); see `covenant tools servers`.
  E_TOOL_SERVER_UNAVAILABLE: { status: 503 },
  // The call did not answer within its server's call_timeout_ms; it was cancelled on the server.
  E_TOOL_TIMEOUT: { status: 504 },
  // Agent host calls (SPEC 12, docs/local-model.md).
  // A host call line that is not {"call", "id", "params"} or names no call the daemon serves.
  E_HOST_CALL_INVALID: { status: 400 },
  // The agent made more host calls for one intent than the limit (64).
  E_HOST_CALL_LIMIT: { status: 429 },
  // Local model (SPEC 16, docs/local-model.md).
  // config.toml has no [model] provider (or "none"): the research agent answers offline.
  E_MODEL_NOT_CONFIGURED: { status: 503 },
  // The configured provider is not reachable / could not load its model.
  E_MODEL_UNAVAILABLE: { status: 503 },
  // The provider does not have the model (`ollama pull X`, or a missing GGUF file).
  E_MODEL_NOT_FOUND: { status: 404 },
  // The provider answered with an error or with something that is not an answer.
  E_MODEL_FAILED: { status: 502 },
  // The provider did not answer within [model] timeout_ms.
  E_MODEL_TIMEOUT: { status: 504 },
  // A2A: a requeue, force-error or respond named a lease that is not the task's current one (the stale-lease guard).
  E_LEASE_MISMATCH: { status: 409 },
  // A2A: a remote daemon's agent card is unsigned, its signature does not verify, or it is no card at all.
  E_REMOTE_CARD_INVALID: { status: 502 },
  // A2A: a remote daemon's agent card is signed by another key than the one pinned for it.
  E_REMOTE_CARD_MISMATCH: { status: 502 },
  // Federation: a remote daemon did not answer, or answered something that is not a valid signed card / A2A reply.
  E_REMOTE_UNREACHABLE: { status: 502 },
  // Federation: a remote daemon refused this daemon's token for it (HTTP 401/403): revoked, rotated or wrong.
  E_REMOTE_AUTH_REFUSED: { status: 502 },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOGUE;

/**
 * The audit row a refusal records instead of the generic `request_rejected` (an
 * `authentication_failed`, a `frame_rejected`, ...). Its kinds and payloads are the catalogue of
 * src/audit/events.ts, which checks it when the refusal path writes it.
 */
export interface RefusalAuditEvent {
  readonly kind: string;
  readonly payload: object;
}

export interface CovenantErrorOptions {
  /** The refusal has already written its own audit row (in the transaction of what it refused). */
  audited?: boolean;
  /** The row the refusal path writes for this refusal; absent: `request_rejected`. */
  auditEvent?: RefusalAuditEvent;
  /** What went wrong underneath (ES2022 Error cause): logged, never told to the caller. */
  cause?: unknown;
}

export class CovenantError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  /** True when the refusal has already written its own audit row. */
  readonly audited: boolean;
  readonly auditEvent: RefusalAuditEvent | undefined;

  constructor(code: ErrorCode, message: string, options: CovenantErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CovenantError';
    this.code = code;
    this.status = ERROR_CATALOGUE[code].status;
    this.audited = options.audited ?? false;
    this.auditEvent = options.auditEvent;
  }

  toWire(): { kind: 'error'; code: ErrorCode; message: string } {
    return { kind: 'error', code: this.code, message: this.message };
  }
}

export function isErrorCode(value: string): value is ErrorCode {
  return Object.hasOwn(ERROR_CATALOGUE, value);
}

export function statusOf(code: string): number {
  return isErrorCode(code) ? ERROR_CATALOGUE[code].status : 500;
}
