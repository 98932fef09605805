import type { Socket } from 'node:net';
import type { Context } from 'hono';
import type { GatewayEnv } from './env.js';

const bySocket = new WeakMap<Socket, AbortSignal>();

/**
 * Aborted when the client's connection closes: what `executeRequest` passes to handlers, so a
 * request whose caller has gone learns that nobody waits for it. One signal per connection, as
 * on the socket (the IPC server's `gone`): node's HTTP server serves one request of a
 * keep-alive connection at a time, so a close while a request runs is that request's client
 * gone, before its answer was sent. `c.req.raw.signal` would say the same per request, but
 * reading it makes the node adapter build a full web Request (headers, body stream,
 * AbortController) for every request. Driven through `app.request()` (tests: no node
 * request), it is the request's own signal.
 */
export function clientGoneSignal(c: Context<GatewayEnv>): AbortSignal {
  const socket = c.env?.incoming?.socket;
  if (!socket) return c.req.raw.signal;
  let signal = bySocket.get(socket);
  if (!signal) {
    const gone = new AbortController();
    if (socket.destroyed) gone.abort('client connection closed');
    else socket.once('close', () => gone.abort('client connection closed'));
    signal = gone.signal;
    bySocket.set(socket, signal);
  }
  return signal;
}
