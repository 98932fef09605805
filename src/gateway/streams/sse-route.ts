import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { CovenantError } from '../../core/index.js';
import { recordRefusal, type DaemonContext } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import { errorBody, httpSite, internalErrorMessage, logError, refusalFromError } from '../errors.js';
import type { EventStreamDefinition, StreamEvent, StreamSink } from './definition.js';

/** A client that reads slower than events arrive is cut off past this many queued events. */
export const MAX_QUEUED_EVENTS = 10_000;

interface OpenStream {
  tokenHash: string;
  close(): void;
}

/** The event streams open right now, so a revoked token's streams can be closed at once. */
export class StreamRegistry {
  private readonly streams = new Set<OpenStream>();

  add(stream: OpenStream): void {
    this.streams.add(stream);
  }

  delete(stream: OpenStream): void {
    this.streams.delete(stream);
  }

  get size(): number {
    return this.streams.size;
  }

  /** How many streams are open with the token of this hash. */
  countToken(tokenHash: string): number {
    let count = 0;
    for (const stream of this.streams) if (stream.tokenHash === tokenHash) count += 1;
    return count;
  }

  /** Closes every stream opened with the token of this hash; returns how many. */
  closeToken(tokenHash: string): number {
    let count = 0;
    for (const stream of [...this.streams]) {
      if (stream.tokenHash === tokenHash) {
        stream.close();
        count += 1;
      }
    }
    return count;
  }

  closeAll(): void {
    for (const stream of [...this.streams]) stream.close();
  }
}

type Item = StreamEvent | 'heartbeat';

/**
 * Mounts one event stream: authorize (refusals answer with their status and an audit row,
 * before any byte of the stream), then `text/event-stream` with `: heartbeat` comments every
 * `heartbeatMs`. The stream ends on client disconnect, `registry.closeToken`, shutdown, or
 * when the token turns out revoked (checked before each event and at each heartbeat).
 */
export function mountEventStream(
  app: Hono<GatewayEnv>,
  ctx: DaemonContext,
  definition: EventStreamDefinition,
  registry: StreamRegistry,
  heartbeatMs: number,
): void {
  app.get(definition.path, (c) => {
    const caller = c.get('caller');
    // Query parameters (filters) and path parameters (`:id`, which wins).
    const params = { ...c.req.query(), ...(c.req.param() as Record<string, string>) };
    const queue: Item[] = [];
    let closed = false;
    let wake: (() => void) | null = null;
    const signal = () => {
      const resolve = wake;
      wake = null;
      resolve?.();
    };
    const sink: StreamSink = {
      send(event) {
        if (closed) return;
        if (queue.length >= MAX_QUEUED_EVENTS) {
          ctx.log.warn({ stream: definition.name, token_prefix: caller.tokenPrefix }, 'event stream client fell behind; closing it');
          sink.close();
          return;
        }
        queue.push(event);
        signal();
      },
      close() {
        closed = true;
        signal();
      },
    };
    let stop: () => void;
    try {
      ctx.authorizer.require(caller, definition.authorize(params), definition.name);
      // hono answers HEAD from this GET route and drops the body: open nothing that would
      // never be read (nor ever closed).
      if (c.req.method === 'HEAD') return c.body(null, 200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      stop = definition.open(ctx, caller, params, sink);
    } catch (error) {
      return refusalFromError(c, ctx, definition.name, error);
    }
    const handle: OpenStream = { tokenHash: caller.tokenHash, close: () => sink.close() };
    registry.add(handle);
    const tokenStillLive = () => {
      try {
        return ctx.peers.byHash(caller.tokenHash)?.revoked_at === null;
      } catch {
        return false; // the database is gone: the daemon is stopping
      }
    };
    // An error while streaming cannot change the status any more: it is logged, audited and
    // told to the client as a last `event: error` carrying the error object, then the stream ends.
    const failed = (error: unknown, what: string) => {
      logError(ctx, { err: error, stream: definition.name, token_prefix: caller.tokenPrefix }, what);
      recordRefusal(ctx, new CovenantError('E_INTERNAL', internalErrorMessage(ctx)), httpSite(c, ctx, definition.name, true));
    };
    return streamSSE(c, async (stream) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        stream.onAbort(() => sink.close());
        timer = setInterval(() => {
          if (closed) return;
          queue.push('heartbeat');
          signal();
        }, heartbeatMs);
        timer.unref();
        await stream.write(': connected\n\n');
        while (!closed) {
          const item = queue.shift();
          if (item === undefined) {
            await new Promise<void>((resolve) => {
              wake = resolve;
            });
            continue;
          }
          if (!tokenStillLive()) break;
          if (item === 'heartbeat') await stream.write(': heartbeat\n\n');
          else await stream.writeSSE({ event: item.event, ...(item.id === undefined ? {} : { id: item.id }), data: JSON.stringify(item.data) });
        }
      } catch (error) {
        failed(error, 'event stream failed');
        await stream.writeSSE({ event: 'error', data: JSON.stringify(errorBody('E_INTERNAL', internalErrorMessage(ctx))) }).catch(() => undefined);
      } finally {
        closed = true;
        clearInterval(timer);
        registry.delete(handle);
        try {
          stop();
        } catch (error) {
          failed(error, 'could not stop an event stream source');
        }
      }
    });
  });
}
