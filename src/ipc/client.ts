import { createConnection, type Socket } from 'node:net';
import { CovenantError, isErrorCode } from '../core/errors.js';
// Type-only: the client stays free of zod and of the request table at run time.
import type { AuditFollowAck, AuditFollowParams, AuditFollowPush, ParamsInput, ProtocolInfo, RequestKind, ResponseOf } from '../protocol/index.js';
import { encodeFrame, FrameDecoder } from './framing.js';

export type WireMessage = { kind: string; [key: string]: unknown };

/** The daemon's error answer to a request: its stable code and its advice, as sent. */
export class DaemonRefusal extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'DaemonRefusal';
  }
}

/**
 * A connection to covenantd's socket: one request, one response, in order. Kept free of zod
 * and of the request table so the CLI's cheapest commands load little.
 */
export class IpcClient {
  private readonly decoder = new FrameDecoder();
  private readonly inbox: WireMessage[] = [];
  private waiter: { resolve: (m: WireMessage) => void; reject: (e: Error) => void } | null = null;
  private closedError: Error | null = null;

  private constructor(
    private readonly socket: Socket,
    private readonly timeoutMs: number,
  ) {
    socket.on('data', (chunk) => this.onData(chunk));
    socket.on('error', (error) => this.fail(new CovenantError('E_DAEMON_UNREACHABLE', `lost the connection to covenantd: ${error.message}`)));
    socket.on('close', () => this.fail(new CovenantError('E_DAEMON_UNREACHABLE', 'covenantd closed the connection')));
  }

  static connect(socketPath: string, options: { timeoutMs?: number } = {}): Promise<IpcClient> {
    return new Promise((resolve, reject) => {
      const socket = createConnection(socketPath);
      const onError = (error: NodeJS.ErrnoException) => {
        const hint = error.code === 'ENOENT' || error.code === 'ECONNREFUSED'
          ? `no covenantd is answering on ${socketPath}; is covenantd running? start it with \`covenantd\``
          : `cannot reach covenantd on ${socketPath}: ${error.message}`;
        reject(new CovenantError('E_DAEMON_UNREACHABLE', hint));
      };
      socket.once('error', onError);
      socket.once('connect', () => {
        socket.off('error', onError);
        resolve(new IpcClient(socket, options.timeoutMs ?? 120_000));
      });
    });
  }

  async request(message: WireMessage): Promise<WireMessage> {
    if (this.closedError) throw this.closedError;
    this.socket.write(encodeFrame(message));
    return this.next();
  }

  /**
   * One request of the table, typed end to end. An error answer throws a `DaemonRefusal` with
   * the daemon's code; the reply is trusted to match its kind's schema (the daemon's golden
   * tests hold it to that), so the client need not load zod to check it.
   */
  async call<K extends RequestKind>(kind: K, params: ParamsInput<K>): Promise<ResponseOf<K>> {
    return answerOf<K>(await this.request({ ...params, kind }));
  }

  /**
   * Starts following the audit log (`audit_follow`): resolves once the daemon accepted (an
   * error answer throws a `DaemonRefusal`); the rows then come through `nextPush`.
   */
  async followAudit(params: AuditFollowParams): Promise<AuditFollowAck> {
    const reply = await this.request({ ...params, kind: 'audit_follow' });
    if (reply.kind === 'error') throw new DaemonRefusal(String(reply.code), String(reply.message));
    return reply as AuditFollowAck;
  }

  /** The next frame the daemon pushes on a following connection; waits as long as it takes. */
  nextPush(): Promise<AuditFollowPush> {
    return this.next(null) as Promise<AuditFollowPush>;
  }

  async protocolInfo(): Promise<ProtocolInfo> {
    const reply = await this.request({ kind: 'protocol_info' });
    if (reply.kind === 'error' && typeof reply.code === 'string' && isErrorCode(reply.code)) throw new CovenantError(reply.code, String(reply.message));
    if (reply.kind !== 'protocol_info' || typeof reply.info !== 'object' || reply.info === null) {
      throw new CovenantError('E_PROTOCOL', `unexpected answer to protocol_info: ${String(reply.kind)}`);
    }
    return reply.info as ProtocolInfo;
  }

  async authenticate(token: string): Promise<{ display: string; pubkey: string }> {
    return authenticatedAs(await this.request({ kind: 'authenticate', token_b58: token }));
  }

  /**
   * `authenticate` and `call` in one write, without waiting for the daemon's word on the token:
   * one round trip instead of two. The daemon reads a connection's frames in order, so the
   * request is served only once the token is accepted; a refused token closes the connection
   * with the request unread (SPEC 1), and this throws as `authenticate` does.
   */
  async authenticateAndCall<K extends RequestKind>(
    token: string,
    kind: K,
    params: ParamsInput<K>,
  ): Promise<{ self: { display: string; pubkey: string }; reply: ResponseOf<K> }> {
    if (this.closedError) throw this.closedError;
    this.socket.write(Buffer.concat([encodeFrame({ kind: 'authenticate', token_b58: token }), encodeFrame({ ...params, kind })]));
    const self = authenticatedAs(await this.next());
    return { self, reply: answerOf<K>(await this.next()) };
  }

  close(): void {
    this.socket.end();
    this.socket.destroy();
  }

  private next(timeoutMs: number | null = this.timeoutMs): Promise<WireMessage> {
    const queued = this.inbox.shift();
    if (queued) return Promise.resolve(queued);
    if (this.closedError) return Promise.reject(this.closedError);
    return new Promise((resolve, reject) => {
      const timer =
        timeoutMs === null
          ? undefined
          : setTimeout(() => {
              this.waiter = null;
              reject(new CovenantError('E_DAEMON_UNREACHABLE', `covenantd did not answer within ${timeoutMs} ms`));
            }, timeoutMs);
      this.waiter = {
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  private onData(chunk: Buffer): void {
    for (const frame of this.decoder.push(chunk)) {
      const message: WireMessage =
        frame.type === 'message' && typeof frame.value === 'object' && frame.value !== null && !Array.isArray(frame.value)
          ? (frame.value as WireMessage)
          : { kind: 'error', code: 'E_PROTOCOL', message: 'covenantd sent a frame that is not a JSON object' };
      const waiter = this.waiter;
      this.waiter = null;
      if (waiter) waiter.resolve(message);
      else this.inbox.push(message);
    }
  }

  private fail(error: Error): void {
    if (this.closedError) return;
    this.closedError = error;
    const waiter = this.waiter;
    this.waiter = null;
    // A final frame (an error or authentication_failed) may arrive just before the close.
    if (waiter && this.inbox.length === 0) waiter.reject(error);
  }
}

/** The answer to `authenticate`: who the token is, or the refusal thrown. */
function authenticatedAs(reply: WireMessage): { display: string; pubkey: string } {
  if (reply.kind === 'authenticated') return { display: String(reply.display), pubkey: String(reply.pubkey) };
  // A refusal that is not about the token (too many connections, a frame too large) keeps its own code.
  if (reply.kind === 'error' && typeof reply.code === 'string' && isErrorCode(reply.code)) throw new CovenantError(reply.code, String(reply.message));
  const reason = reply.kind === 'authentication_failed' ? String(reply.reason) : `unexpected ${String(reply.kind)}`;
  // What to do next depends on whose token it is: the caller (the CLI's session) says so.
  throw new CovenantError('E_AUTH_FAILED', `covenantd refused the token (${reason})`);
}

/** A request's answer; an error answer throws a `DaemonRefusal` with the daemon's code. */
function answerOf<K extends RequestKind>(reply: WireMessage): ResponseOf<K> {
  if (reply.kind === 'error') throw new DaemonRefusal(String(reply.code), String(reply.message));
  return reply as ResponseOf<K>;
}
