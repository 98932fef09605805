import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { CovenantError } from '../core/index.js';
import { encodeFrame, FrameDecoder, MAX_FRAME_BYTES, type DecodedFrame } from '../ipc/index.js';
import { auditTokenPrefix } from '../peers/index.js';
import { protocolInfo } from './protocol-info.js';
import type { Caller } from './caller.js';
import type { DaemonContext } from './context.js';
import { executeRequest } from './execute-request.js';
import { InFlightTracker } from './in-flight.js';

interface Connection {
  socket: Socket;
  caller: Caller | null;
  queue: Promise<void>;
}

const PRE_AUTH_FAILURE = 'first frame must be authenticate';
const UNKNOWN_TOKEN = 'unknown or revoked token';
/** The Unix-socket server of SPEC section 1. */
export class IpcServer {
  private readonly server: Server;
  private readonly connections = new Set<Connection>();
  readonly inFlight = new InFlightTracker();

  constructor(private readonly ctx: DaemonContext) {
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
    await this.inFlight.drain(graceMs);
    for (const connection of this.connections) connection.socket.destroy();
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
      if (connection.caller?.tokenHash === tokenHash) connection.socket.destroy();
    }
  }

  private accept(socket: Socket): void {
    const connection: Connection = { socket, caller: null, queue: Promise.resolve() };
    this.connections.add(connection);
    const decoder = new FrameDecoder();
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(chunk)) {
        connection.queue = connection.queue.then(() => this.onFrame(connection, frame));
      }
    });
    socket.on('error', (error) => this.ctx.log.debug({ err: error }, 'ipc connection error'));
    socket.on('close', () => {
      this.connections.delete(connection);
      if (decoder.pendingBytes > 0) this.ctx.log.debug({ bytes: decoder.pendingBytes }, 'client left mid-frame');
    });
  }

  private async onFrame(connection: Connection, frame: DecodedFrame): Promise<void> {
    if (connection.socket.destroyed || connection.socket.writableEnded) return;
    if (frame.type === 'too_large') {
      this.auditFrameRejection(connection, `frame of ${frame.length} bytes exceeds ${MAX_FRAME_BYTES}`);
      this.send(connection, new CovenantError('E_FRAME_TOO_LARGE', `frames are limited to ${MAX_FRAME_BYTES} bytes (8 MiB); split the request`).toWire());
      connection.socket.end();
      return;
    }
    if (!connection.caller) {
      this.onPreAuthFrame(connection, frame);
      return;
    }
    if (frame.type === 'invalid_json') {
      this.auditFrameRejection(connection, 'invalid JSON');
      this.send(connection, new CovenantError('E_INVALID_JSON', `the frame is not valid UTF-8 JSON (${frame.detail}); send one JSON object per frame`).toWire());
      return;
    }
    const id = requestId(frame.value);
    // The disconnector closes a revoked token's connections on the next turn of the event loop;
    // a frame that slips in before that must not be served with the revoked token.
    if (!this.ctx.peers.isLive(connection.caller.tokenHash)) {
      this.refuseRevoked(connection, frame.value, id);
      return;
    }
    const done = this.inFlight.start();
    try {
      const reply = await executeRequest(this.ctx, connection.caller, frame.value);
      // A reply that has an `id` of its own (a capability id) keeps it: answers come in order anyway.
      this.send(connection, id === undefined || 'id' in reply ? reply : { ...reply, id });
    } finally {
      done();
    }
  }

  private onPreAuthFrame(connection: Connection, frame: DecodedFrame): void {
    const message = frame.type === 'message' ? frame.value : null;
    const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
    const id = requestId(message);
    if (kind === 'protocol_info') {
      this.send(connection, { kind: 'protocol_info', ...(id === undefined ? {} : { id }), info: protocolInfo(this.ctx.daemonVersion) });
      return;
    }
    const token = kind === 'authenticate' ? (message as { token_b58?: unknown }).token_b58 : undefined;
    const peer = typeof token === 'string' && token.length <= 256 ? this.ctx.peers.resolve(token) : null;
    if (peer) {
      connection.caller = {
        agentId: peer.agent_id,
        role: peer.role,
        tokenHash: peer.token_hash,
        tokenPrefix: peer.token_prefix,
        transport: 'ipc',
      };
      this.send(connection, { kind: 'authenticated', ...(id === undefined ? {} : { id }), ...peer.agent_id });
      return;
    }
    const reason = kind === 'authenticate' ? UNKNOWN_TOKEN : PRE_AUTH_FAILURE;
    try {
      this.ctx.audit.append(this.ctx.identity.agentId, 'authentication_failed', {
        transport: 'ipc',
        reason,
        token_prefix: auditTokenPrefix(token),
        first_kind: typeof kind === 'string' ? kind.slice(0, 64) : null,
      });
    } catch (error) {
      this.ctx.log.error({ err: error }, 'could not audit a failed authentication');
    }
    this.send(connection, { kind: 'authentication_failed', ...(id === undefined ? {} : { id }), reason });
    connection.socket.end();
  }

  private refuseRevoked(connection: Connection, message: unknown, id: string | number | undefined): void {
    const caller = connection.caller!;
    const kind = typeof message === 'object' && message !== null ? (message as { kind?: unknown }).kind : undefined;
    try {
      this.ctx.audit.append(caller.agentId, 'request_rejected', {
        transport: 'ipc',
        request_kind: typeof kind === 'string' ? kind.slice(0, 64) : null,
        code: 'E_AUTH_FAILED',
        token_prefix: caller.tokenPrefix,
      });
    } catch (error) {
      this.ctx.log.error({ err: error }, 'could not audit a request on a revoked token');
    }
    const error = new CovenantError('E_AUTH_FAILED', 'the token of this connection was revoked; reconnect with a live token').toWire();
    this.send(connection, id === undefined ? error : { ...error, id });
    connection.socket.end();
  }

  private auditFrameRejection(connection: Connection, reason: string): void {
    try {
      this.ctx.audit.append(connection.caller?.agentId ?? this.ctx.identity.agentId, 'frame_rejected', {
        transport: 'ipc',
        reason,
        authenticated: connection.caller !== null,
        token_prefix: connection.caller?.tokenPrefix ?? null,
      });
    } catch (error) {
      this.ctx.log.error({ err: error }, 'could not audit a rejected frame');
    }
  }

  private send(connection: Connection, message: unknown): void {
    if (connection.socket.destroyed || !connection.socket.writable) return;
    connection.socket.write(encodeFrame(message));
  }
}

function requestId(message: unknown): string | number | undefined {
  if (typeof message !== 'object' || message === null) return undefined;
  const id = (message as { id?: unknown }).id;
  if (typeof id === 'string' && id.length <= 128) return id;
  if (typeof id === 'number' && Number.isInteger(id)) return id;
  return undefined;
}
