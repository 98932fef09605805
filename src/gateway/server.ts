import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DaemonContext } from '../requests/index.js';
import { buildGateway } from './app.js';
import { logError } from './errors.js';
import { GatewayResponse } from './gateway-response.js';
import { gatewayListener } from './listener.js';
import { CLOSE_GRACE_MS, RATE_LIMIT_AUDIT_INTERVAL_MS, type GatewayOptions } from './options.js';

export interface RunningGateway {
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  /** Stops accepting, ends event streams, lets requests in flight finish (bounded), closes. */
  close(): Promise<void>;
  /** Closes at once every event stream opened with this token; returns how many. */
  disconnectToken(tokenHash: string): number;
  /** How many event streams are open with this token (what `disconnectToken` would close). */
  countToken(tokenHash: string): number;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Serves the gateway on `options.host:options.port` (SPEC 4). */
export async function startGateway(ctx: DaemonContext, options: GatewayOptions): Promise<RunningGateway> {
  const { app, state } = buildGateway(ctx, options);
  const server = createServer({ ServerResponse: GatewayResponse }, gatewayListener(ctx, app, options.host));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const where = `${options.host}:${options.port}`;
      if (error.code === 'EADDRINUSE' || error.code === 'EACCES' || error.code === 'EADDRNOTAVAIL') {
        reject(new Error(`the HTTP gateway cannot listen on ${where} (${error.code}); set COVENANT_HTTP_PORT / COVENANT_HTTP_BIND_ADDR, or start with --no-http`));
      } else {
        reject(error);
      }
    });
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  // An error of the listening socket after start-up is logged, never thrown at the process.
  server.on('error', (error) => logError(ctx, { err: error }, 'http gateway server error'));
  server.on('clientError', (error, socket) => {
    try {
      ctx.log.debug({ err: error }, 'http client error');
    } catch {
      // a failing logger must not turn a bad client into a crash
    }
    socket.destroy();
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${options.host.includes(':') ? `[${options.host}]` : options.host}:${port}`;
  ctx.log.info({ url, origins: options.origins.length }, 'http gateway listening');
  if (!isLoopback(options.host)) {
    ctx.log.warn({ host: options.host }, 'the http gateway listens beyond loopback without TLS: bearer tokens cross the network in clear text');
  }
  // Held rate_limited counts are written by a timer armed only while the throttle holds
  // something (a refusal counted, a key not yet forgotten): an idle gateway runs no timer.
  let closing: Promise<void> | null = null;
  let flushTimer: NodeJS.Timeout | null = null;
  const flushLater = () => {
    if (flushTimer !== null || closing !== null) return;
    flushTimer = setTimeout(() => {
      flushTimer = null;
      try {
        state.flushRateLimited(false);
      } catch (error) {
        logError(ctx, { err: error }, 'could not write pending rate_limited rows');
      }
      if (state.rateLimitPending()) flushLater();
    }, RATE_LIMIT_AUDIT_INTERVAL_MS);
    flushTimer.unref();
  };
  state.onRateLimited = flushLater;

  return {
    port,
    url,
    disconnectToken: (tokenHash) => state.streams.closeToken(tokenHash),
    countToken: (tokenHash) => state.streams.countToken(tokenHash),
    close() {
      closing ??= (async () => {
        if (flushTimer !== null) clearTimeout(flushTimer);
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        state.streams.closeAll();
        server.closeIdleConnections();
        await state.inFlight.drain(CLOSE_GRACE_MS);
        // From here each refusal writes its own row, so the counts stay exact to the end.
        state.flushRateLimited(true);
        server.closeAllConnections();
        await closed;
      })();
      return closing;
    },
  };
}
