import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { CovenantError, recordedKind } from '../core/index.js';
import { encodeFrame, FrameDecoder, FrameTooLargeError, type DecodedFrame } from '../ipc/index.js';
import {
  AUDIT_FOLLOW,
  AuditFollowParamsSchema,
  AuthenticateRequestSchema,
  DEFAULT_FOLLOW_BACKLOG,
  MAX_FRAME_BYTES,
  PRE_AUTH_MAX_FRAME_BYTES,
  requestIdOf,
  type RequestId as WireRequestId,
} from '../protocol/index.js';
import { auditTokenPrefix } from '../peers/index.js';
import {
  asRefusal,
  executeRequest,
  openAuditFeed,
  InFlightTracker,
  internalErrorMessage,
  protocolInfo,
  recordRefusal,
  refusalWith,
  responseTooLarge,
  type Caller,
  type DaemonContext,
  type Reply,
} from '../requests/index.js';
import { RefusalCounter } from './refusal-counter.js';

/** Socket limits (docs/ipc-limits.md). */
export interface IpcServerOptions {
  /** Connections open at once, authenticated or not; the next one is refused with E_TOO_MANY_CONNECTIONS. */
  maxConnections?: number;
  /** How long a new connection may take to authenticate before it is closed. */
  preAuthTimeoutMs?: number;
  /** The frame limit until the connection has authenticated. */
  preAuthMaxFrameBytes?: number;
}

export const IPC_LIMIT_DEFAULTS: Required<IpcServerOptions> = {
  maxConnections: 256,
  preAuthTimeoutMs: 10_000,
  preAuthMaxFrameBytes: PRE_AUTH_MAX_FRAME_BYTES,
};

interface Connection {
  socket: Socket;
  decoder: FrameDecoder;
  caller: Caller | null;
  /** The last answer still to be sent, after which the next frame is served. */
  queue: Promise<void>;
  /** Frames served or waiting whose answers are not sent yet (0: the next frame is served at once). */
  waiting: number;
  authTimer: NodeJS.Timeout | null;
  /** Aborted when the socket closes: requests still running learn that nobody waits for them. */
  gone: AbortController;
  /** Set once the connection follows the audit log (`audit_follow`): stops the feed. */
  stopStream: (() => void) | null;
}

/** A follower that leaves this much unread is cut off; it follows again from its last row. */
export const MAX_UNREAD_STREAM_BYTES = 16 * 1024 * 1024;

type RequestId = WireRequestId | undefined;

/** What one frame gets back, and whether the connection closes once it is sent. */
interface Answer {
  message: Record<string, unknown>;
  close?: boolean;
  /** The request kind, for the audit row if the answer cannot be sent as it is. */
  requestKind?: string | null;
  id?: RequestId;
}

const PRE_AUTH_FAILURE = 'first frame must be authenticate';
const REVOKED_WHILE_FOLLOWING = 'the token of this connection was revoked; following the audit log has ended';
const UNKNOWN_TOKEN = 'unknown or revoked token';

/**
 * The Unix-socket server of SPEC section 1. Each connection is one failure boundary: whatever
 * throws or rejects while its frames are handled is answered E_INTERNAL, audited and logged there,
 * and never reaches the process.
 */
export class IpcServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  private readonly limits: Required<IpcServerOptions>;
  private readonly refusedConnections: RefusalCounter;
  readonly inFlight = new InFlightTracker();

  constructor(
    private readonly ctx: DaemonContext,
    options: IpcServerOptions = {},
  ) {
    this.limits = { ...IPC_LIMIT_DEFAULTS, ...options };
    this.refusedConnections = new RefusalCounter((refused) => this.auditRefusedConnections(refused));
    this.server = createServer((socket) => this.accept(socket));
  }

  listen(path: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(path, () => {
        this.server.off('error', reject);
        chmodSync(path, 0o600);
        resolve();
      });
    });
  }

  /** Stops accepting, lets in-flight requests finish (bounded), then closes every connection. */
  async shutdown(graceMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) {
      this.endStream(connection, 'E_SHUTTING_DOWN', 'covenantd is stopping; follow again once it is back (after the last row you saw)');
    }
    await this.inFlight.drain(graceMs);
    for (const connection of this.connections) {
      this.stopAuthTimer(connection);
      connection.socket.destroy();
    }
    this.refusedConnections.flush();
    await closed;
  }

  /** Connections authenticated with the given token. */
  count(tokenHash: string): number {
    let count = 0;
    for (const connection of this.connections) if (connection.caller?.tokenHash === tokenHash) count += 1;
    return count;
  }

  /** Closes every connection authenticated with the given token. */
  close(tokenHash: string): void {
    for (const connection of this.connections) {
      if (connection.caller?.tokenHash !== tokenHash) continue;
      if (connection.stopStream) this.endStream(connection, 'E_AUTH_FAILED', REVOKED_WHILE_FOLLOWING);
      else connection.socket.destroy();
    }
  }

  /** Open connections, how many have not authenticated, and the bytes of unfinished frames they hold. */
  stats(): { connections: number; unauthenticated: number; bufferedBytes: number } {
    let unauthenticated = 0;
    let bufferedBytes = 0;
    for (const connection of this.connections) {
      if (!connection.caller) unauthenticated += 1;
      bufferedBytes += connection.decoder.pendingBytes;
    }
    return { connections: this.connections.size, unauthenticated, bufferedBytes };
  }

  private accept(socket: Socket): void {
    socket.on('error', (error) => quietly(() => this.ctx.log.debug({ err: error }, 'ipc connection error')));
    if (this.connections.size >= this.limits.maxConnections) {
      this.refuseConnection(socket);
      return;
    }
    const connection: Connection = {
      socket,
      decoder: new FrameDecoder(this.limits.preAuthMaxFrameBytes),
      caller: null,
      queue: Promise.resolve(),
      waiting: 0,
      authTimer: null,
      gone: new AbortController(),
      stopStream: null,
    };
    this.connections.add(connection);
    connection.authTimer = setTimeout(() => this.guard(connection, () => this.onAuthTimeout(connection)), this.limits.preAuthTimeoutMs);
    connection.authTimer.unref();
    socket.on('data', (chunk: Buffer) => this.guard(connection, () => this.onData(connection, chunk)));
    socket.on('close', () => {
      this.connections.delete(connection);
      connection.gone.abort();
      connection.stopStream?.();
      connection.stopStream = null;
      this.stopAuthTimer(connection);
      const pending = connection.decoder.pendingBytes;
      connection.decoder.discard(); // the unfinished frame's memory goes with the connection
      if (pending > 0) quietly(() => this.ctx.log.debug({ bytes: pending }, 'client left mid-frame'));
    });
  }

  private onData(connection: Connection, chunk: Buffer): void {
    const { decoder } = connection;
    decoder.feed(chunk);
    // Frames before authentication are answered at once, one by one, so the frame limit is
    // raised only for the frames that follow a successful `authenticate`.
    for (let frame = decoder.next(); frame; frame = decoder.next()) {
      if (!connection.caller) {
        this.deliver(connection, this.preAuthAnswer(connection, frame));
        // A peer that sends probes without reading the answers holds our memory: not before it authenticates.
        if (connection.socket.writableLength > this.limits.preAuthMaxFrameBytes && !connection.socket.destroyed) {
          const reason = `more than ${this.limits.preAuthMaxFrameBytes} bytes of answers left unread before authentication`;
          this.rejectFrame(connection, 'E_FRAME_TOO_LARGE', reason, reason);
          connection.socket.destroy();
        }
        continue;
      }
      if (connection.stopStream) {
        this.endStream(connection, 'E_BAD_REQUEST', 'a connection that follows the audit log takes no further requests; use another connection');
        return;
      }
      const queued = frame;
      if (connection.waiting === 0) {
        // Nothing ahead of it: served now, and a request answered at once (most reads) is
        // answered in this turn, without the queue's promise hops.
        const pending = this.serve(connection, queued);
        if (pending !== undefined) this.wait(connection, pending);
      } else {
        this.wait(connection, connection.queue.then(() => this.serve(connection, queued)));
      }
    }
  }

  /** Frames that come while `pending` is unanswered are served after it, in order. */
  private wait(connection: Connection, pending: Promise<void>): void {
    connection.waiting += 1;
    connection.queue = pending
      .catch((error: unknown) => this.lastResort(connection, error))
      .finally(() => {
        connection.waiting -= 1;
      });
  }

  /** Serves one frame: undefined once it is answered, else a promise of its answer being sent. */
  private serve(connection: Connection, frame: DecodedFrame): Promise<void> | undefined {
    if (connection.socket.destroyed || connection.socket.writableEnded) return undefined;
    if (frame.type === 'message' && rawKind(frame.value) === AUDIT_FOLLOW) {
      this.follow(connection, connection.caller!, frame.value);
      return undefined;
    }
    const done = this.inFlight.start();
    const failed = (error: unknown): Answer => {
      const id = frame.type === 'message' ? requestId(frame.value) : undefined;
      return this.internalAnswer(connection, error, frame.type === 'message' ? kindOf(frame.value) : null, id);
    };
    let answer: Answer | Promise<Answer>;
    try {
      answer = this.answer(connection, connection.caller!, frame);
    } catch (error) {
      answer = failed(error);
    }
    if (!(answer instanceof Promise)) {
      try {
        this.deliver(connection, answer);
      } finally {
        done();
      }
      return undefined;
    }
    return answer.then(undefined, failed).then((settled) => this.deliver(connection, settled)).finally(done);
  }

  private answer(connection: Connection, caller: Caller, frame: DecodedFrame): Answer | Promise<Answer> {
    if (frame.type === 'too_large') return this.refuseLargeFrame(connection, frame);
    if (frame.type === 'invalid_json') {
      const message = `the frame is not valid UTF-8 JSON (${frame.detail}); send one JSON object per frame`;
      return { message: this.rejectFrame(connection, 'E_INVALID_JSON', 'invalid JSON', message).toWire() };
    }
    const id = requestId(frame.value);
    const requestKind = kindOf(frame.value);
    // The disconnector closes a revoked token's connections on the next turn of the event loop;
    // a frame that slips in before that must not be served with the revoked token.
    if (!this.ctx.peers.isLive(caller.tokenHash)) return this.refuseRevoked(connection, requestKind, id);
    // A reply that has an `id` of its own (a capability id) keeps it: answers come in order anyway.
    const withId = (reply: Reply): Answer => ({ message: id === undefined || 'id' in reply ? reply : { ...reply, id }, requestKind, id });
    const reply = executeRequest(this.ctx, caller, frame.value, connection.gone.signal);
    return reply instanceof Promise ? reply.then(withId) : withId(reply);
  }

  /**
   * `audit_follow`: one capability check (`audit.read`, one `capability_check` row), the
   * `audit_follow` answer, then every matching row pushed as `audit_event` through the shared
   * audit feed (src/requests/audit-feed.ts) until `stream_end` or the connection closes.
   */
  private follow(connection: Connection, caller: Caller, message: unknown): void {
    const id = requestId(message);
    const withId = (reply: Record<string, unknown>) => (id === undefined ? reply : { ...reply, id });
    if (!this.ctx.peers.isLive(caller.tokenHash)) {
      this.deliver(connection, this.refuseRevoked(connection, AUDIT_FOLLOW, id));
      return;
    }
    let params;
    try {
      const { kind: _kind, id: _id, ...rest } = message as Record<string, unknown>;
      const parsed = AuditFollowParamsSchema.safeParse(rest);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new CovenantError('E_BAD_REQUEST', `invalid audit_follow request: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'bad parameters'}`);
      }
      this.ctx.authorizer.require(caller, { action: 'audit.read' }, AUDIT_FOLLOW);
      params = parsed.data;
    } catch (error) {
      const refusal = this.refuse(connection, asRefusal(this.ctx, error, { transport: 'ipc', requestKind: AUDIT_FOLLOW }), AUDIT_FOLLOW);
      this.deliver(connection, { message: withId(refusal.toWire()) });
      return;
    }
    const filter = { kinds: params.kinds ?? null, issuerPrefix: params.issuer ?? null, sinceMs: params.since_ms ?? null };
    const onStart = (headSeq: number) => this.deliver(connection, { message: withId({ kind: AUDIT_FOLLOW, head_seq: headSeq }) });
    const start = params.after_seq === undefined ? { backlog: params.limit ?? DEFAULT_FOLLOW_BACKLOG, onStart } : { afterSeq: params.after_seq, onStart };
    let stop: (() => void) | null = null;
    connection.stopStream = () => stop?.();
    stop = openAuditFeed(this.ctx, caller, filter, start, (event) => {
      if (!connection.stopStream) return;
      if (!this.ctx.peers.isLive(caller.tokenHash)) return this.endStream(connection, 'E_AUTH_FAILED', REVOKED_WHILE_FOLLOWING);
      if (connection.socket.writableLength > MAX_UNREAD_STREAM_BYTES) {
        return this.endStream(connection, 'E_RESPONSE_TOO_LARGE', `more than ${MAX_UNREAD_STREAM_BYTES} bytes of audit rows were left unread; follow again from the last row you read`);
      }
      try {
        connection.socket.write(encodeFrame({ kind: 'audit_event', event }));
      } catch (error) {
        quietly(() => this.ctx.log.error({ err: error, seq: event.seq }, 'could not push an audit row to a follower'));
        this.endStream(connection, 'E_INTERNAL', internalErrorMessage(this.ctx.paths));
      }
    });
    if (!connection.stopStream) stop(); // ended while the backlog was sent
  }

  /** Ends a follower's stream with a last `stream_end` frame (no-op for other connections). */
  private endStream(connection: Connection, code: string, message: string): void {
    const stop = connection.stopStream;
    if (!stop) return;
    connection.stopStream = null;
    stop();
    if (!connection.socket.destroyed && connection.socket.writable) connection.socket.write(encodeFrame({ kind: 'stream_end', code, message }));
    this.end(connection);
  }

  private preAuthAnswer(connection: Connection, frame: DecodedFrame): Answer {
    try {
      return this.preAuthenticate(connection, frame);
    } catch (error) {
      return { ...this.internalAnswer(connection, error, frame.type === 'message' ? kindOf(frame.value) : null, undefined), close: true };
    }
  }

  private preAuthenticate(connection: Connection, frame: DecodedFrame): Answer {
    if (frame.type === 'too_large') return this.refuseLargeFrame(connection, frame);
    const message = frame.type === 'message' ? frame.value : null;
    const kind = rawKind(message);
    const id = requestId(message);
    if (kind === 'protocol_info') {
      return { message: { kind: 'protocol_info', ...(id === undefined ? {} : { id }), info: protocolInfo(this.ctx.daemonVersion) } };
    }
    // Only the token is read from the frame: an unusable `id` is dropped, as on every other frame.
    const handshake = AuthenticateRequestSchema.safeParse({ ...(message as object), id });
    const token = kind === 'authenticate' ? (message as { token_b58?: unknown }).token_b58 : undefined;
    const peer = handshake.success ? this.ctx.peers.resolve(handshake.data.token_b58) : null;
    if (peer) {
      connection.caller = {
        agentId: peer.agent_id,
        role: peer.role,
        tokenHash: peer.token_hash,
        tokenPrefix: peer.token_prefix,
        transport: 'ipc',
      };
      this.stopAuthTimer(connection);
      connection.decoder.maxFrameBytes = MAX_FRAME_BYTES;
      return { message: { kind: 'authenticated', ...(id === undefined ? {} : { id }), ...peer.agent_id } };
    }
    const reason = kind === 'authenticate' ? UNKNOWN_TOKEN : PRE_AUTH_FAILURE;
    this.auditFailedAuthentication(reason, auditTokenPrefix(token), recordedKind(kind));
    return { message: { kind: 'authentication_failed', ...(id === undefined ? {} : { id }), reason }, close: true };
  }

  private onAuthTimeout(connection: Connection): void {
    connection.authTimer = null;
    if (connection.caller || connection.socket.destroyed) return;
    const reason = `no authenticate frame within ${this.limits.preAuthTimeoutMs} ms`;
    this.auditFailedAuthentication(reason, null, null);
    this.deliver(connection, { message: { kind: 'authentication_failed', reason }, close: true });
  }

  private refuseLargeFrame(connection: Connection, frame: { length: number; limit: number }): Answer {
    const before = connection.caller ? '' : ' before authentication';
    const advice = connection.caller
      ? `frames are limited to ${frame.limit} bytes (8 MiB); split the request`
      : `frames are limited to ${frame.limit} bytes before authentication; send {"kind":"authenticate","token_b58":...} first`;
    const reason = `frame of ${frame.length} bytes exceeds the ${frame.limit}-byte limit${before}`;
    return { message: this.rejectFrame(connection, 'E_FRAME_TOO_LARGE', reason, advice).toWire(), close: true };
  }

  private refuseRevoked(connection: Connection, requestKind: string | null, id: RequestId): Answer {
    const refusal = new CovenantError('E_AUTH_FAILED', 'the token of this connection was revoked; reconnect with a live token');
    const error = this.refuse(connection, refusal, requestKind).toWire();
    return { message: id === undefined ? error : { ...error, id }, close: true };
  }

  /** A connection over the cap gets one error frame and is closed; refusals are audited in aggregate. */
  private refuseConnection(socket: Socket): void {
    try {
      this.refusedConnections.note();
      const refusal = new CovenantError(
        'E_TOO_MANY_CONNECTIONS',
        `covenantd already has ${this.limits.maxConnections} open connections, its limit; close idle clients or retry shortly`,
      );
      socket.end(encodeFrame(refusal.toWire()), () => socket.destroy());
    } catch (error) {
      socket.destroy();
      this.ctx.log.error({ err: error }, 'could not refuse a connection over the limit');
    }
  }

  /**
   * Sends an answer. Never throws: an answer too large for one frame becomes E_RESPONSE_TOO_LARGE,
   * one that cannot be encoded at all becomes E_INTERNAL (each audited).
   */
  private deliver(connection: Connection, answer: Answer): void {
    const { socket } = connection;
    if (socket.destroyed || !socket.writable) return;
    let bytes: Buffer;
    try {
      bytes = encodeFrame(answer.message);
    } catch (error) {
      const replacement =
        error instanceof FrameTooLargeError
          ? this.tooLargeAnswer(connection, answer, error)
          : this.internalAnswer(connection, error, answer.requestKind ?? null, answer.id);
      bytes = encodeFrame(replacement.message);
    }
    socket.write(bytes);
    if (answer.close) this.end(connection);
  }

  private tooLargeAnswer(connection: Connection, answer: Answer, error: FrameTooLargeError): Answer {
    const requestKind = answer.requestKind ?? null;
    // The request has run: whatever happens to the row, the answer cannot become "not served".
    const refusal = responseTooLarge(requestKind, error.bytes, error.limit);
    this.refuse(connection, refusal, requestKind, error.bytes);
    const reply = refusal.toWire();
    return { message: answer.id === undefined ? reply : { ...reply, id: answer.id } };
  }

  /** Logs the error, audits it, and answers E_INTERNAL naming the log file (not its path). */
  private internalAnswer(connection: Connection, error: unknown, requestKind: string | null, id: RequestId): Answer {
    quietly(() => this.ctx.log.error({ err: error, transport: 'ipc', request_kind: requestKind }, 'internal error while serving a socket request'));
    const refusal = new CovenantError('E_INTERNAL', internalErrorMessage(this.ctx.paths), { cause: error });
    this.refuse(connection, refusal, requestKind); // the answer stays E_INTERNAL: the request may have run
    const reply = refusal.toWire();
    return { message: id === undefined ? reply : { ...reply, id } };
  }

  /** The boundary's own boundary: an error that escaped everything above. Answers, then closes. */
  private lastResort(connection: Connection, error: unknown): void {
    try {
      this.deliver(connection, { ...this.internalAnswer(connection, error, null, undefined), close: true });
    } catch {
      connection.socket.destroy();
    }
  }

  private guard(connection: Connection, run: () => void): void {
    try {
      run();
    } catch (error) {
      this.lastResort(connection, error);
    }
  }

  private end(connection: Connection): void {
    this.stopAuthTimer(connection);
    connection.decoder.discard();
    // Destroy once the last frame is flushed, so a peer that never closes its side holds nothing.
    connection.socket.end(() => connection.socket.destroy());
  }

  private stopAuthTimer(connection: Connection): void {
    if (connection.authTimer) clearTimeout(connection.authTimer);
    connection.authTimer = null;
  }

  /**
   * The one refusal path (src/requests/refusal.ts) from the socket: writes the refusal's row,
   * issued by the connection's caller (the daemon before authentication), and returns what to
   * answer (E_AUDIT_UNAVAILABLE or E_STORAGE_FULL when the row cannot be written).
   */
  private refuse(connection: Connection | null, refusal: CovenantError, requestKind: string | null, replyBytes?: number): CovenantError {
    const caller = connection?.caller ?? null;
    return recordRefusal(this.ctx, refusal, {
      transport: 'ipc',
      issuer: caller?.agentId ?? this.ctx.identity.agentId,
      tokenPrefix: caller?.tokenPrefix ?? null,
      requestKind,
      replyBytes,
    });
  }

  /** A frame that cannot be read, refused and recorded as `frame_rejected`. */
  private rejectFrame(connection: Connection, code: 'E_FRAME_TOO_LARGE' | 'E_INVALID_JSON', reason: string, message: string): CovenantError {
    const payload = { transport: 'ipc' as const, reason, authenticated: connection.caller !== null, token_prefix: connection.caller?.tokenPrefix ?? null };
    return this.refuse(connection, refusalWith(code, message, { kind: 'frame_rejected', payload }), null);
  }

  private auditFailedAuthentication(reason: string, tokenPrefix: string | null, firstKind: string | null): void {
    const payload = { transport: 'ipc' as const, reason, token_prefix: tokenPrefix, first_kind: firstKind };
    this.refuse(null, refusalWith('E_AUTH_FAILED', reason, { kind: 'authentication_failed', payload }), firstKind);
  }

  private auditRefusedConnections(refused: number): void {
    const payload = { transport: 'ipc' as const, code: 'E_TOO_MANY_CONNECTIONS' as const, limit: this.limits.maxConnections, refused };
    this.refuse(null, refusalWith('E_TOO_MANY_CONNECTIONS', `${refused} connection(s) refused`, { kind: 'connection_refused', payload }), null);
  }
}

/** For logging from places that must not throw (socket events, the boundary itself). */
function quietly(run: () => void): void {
  try {
    run();
  } catch {
    // nothing left to tell
  }
}

function rawKind(message: unknown): unknown {
  return typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
}

/** The kind as audit rows record it (cut, token-shaped runs redacted). */
function kindOf(message: unknown): string | null {
  return recordedKind(rawKind(message));
}

function requestId(message: unknown): RequestId {
  return requestIdOf(message) ?? undefined;
}
