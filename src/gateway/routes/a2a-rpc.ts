/**
 * `POST /a2a/v1`: the public A2A protocol (SPEC 10) over JSON-RPC, served by the SDK's own
 * transport handlers on the request handler of src/requests/a2a-protocol. The version is chosen
 * as the SDK's Express adapter chooses it: the `A2A-Version` header, absent meaning 0.3; 0.3
 * goes to `LegacyJsonRpcTransportHandler`, anything else to `JsonRpcTransportHandler` once the
 * card's interfaces list it. The bearer token and rate limit are the gateway's, as for every
 * route; the body limit too, but the route reads the body itself so that an oversized one is
 * refused as a JSON-RPC error (mounted before the gateway's body-limit middleware). Every
 * refusal goes through the one refusal path (`recordRefusal`): one the SDK makes itself
 * (malformed JSON-RPC, unknown method, bad params, unsupported version) writes one
 * `a2a_rpc_rejected` row here; one the handler makes was recorded where it happened.
 */
import { A2A_VERSION_HEADER, formatSSEErrorEvent, formatSSEEvent } from '@a2a-js/sdk';
import { LegacyJsonRpcTransportHandler } from '@a2a-js/sdk/compat/v0_3/server';
import { ContentTypeNotSupportedError, RequestMalformedError, VersionNotSupportedError } from '@a2a-js/sdk/errors';
import { JsonRpcTransportHandler, validateVersion } from '@a2a-js/sdk/server';
import type { Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { A2A_RPC_PATH } from '../../a2a/index.js';
import { cutInput, quoteInput, type CovenantError } from '../../core/index.js';
import {
  callContext,
  CovenantA2aHandler,
  covenantCodeOf,
  eventIdOf,
  recordRefusal,
  refusalWith,
  wasAudited,
  type A2aProtocolOptions,
  type DaemonContext,
  type RefusalSite,
} from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import { httpSite } from '../errors.js';
import { bodyTooLarge, readBody } from '../middleware/body-limit.js';
import { MAX_BODY_BYTES } from '../options.js';
import type { StreamRegistry } from '../streams/index.js';
import type { RouteEntry } from './requests.js';

export const A2A_RPC_ROUTE: RouteEntry = {
  method: 'POST',
  path: A2A_RPC_PATH,
  name: 'a2a_rpc',
  summary:
    'The public A2A protocol (JSON-RPC; v1.0 with `A2A-Version: 1.0`, else v0.3): SendMessage, SendStreamingMessage and SubscribeToTask (SSE), GetTask, ListTasks, CancelTask over the mailbox (docs/a2a.md).',
};

const LEGACY_VERSION = '0.3';
const LEGACY_RESUBSCRIBE = 'tasks/resubscribe';

type RpcResponse = { jsonrpc: string; id: string | number | null; result?: unknown; error?: unknown };
type RpcError = { code: number; message: string; data?: unknown };

/** JSON-RPC "Invalid Request": a body over the gateway's limit is not read, so not a request at all. */
const INVALID_REQUEST = -32600;
const INTERNAL_ERROR = -32603;

const isStream = (value: unknown): value is AsyncGenerator<RpcResponse, void, undefined> =>
  typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';

const requestIdOf = (body: unknown): string | number | null => {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' || typeof id === 'number' ? id : null;
};

export function mountA2aRpcRoute(app: Hono<GatewayEnv>, ctx: DaemonContext, streams: StreamRegistry, options: A2aProtocolOptions): void {
  const handler = new CovenantA2aHandler(ctx, options);
  const current = new JsonRpcTransportHandler(handler);
  const legacy = new LegacyJsonRpcTransportHandler(handler);

  app.post(A2A_RPC_PATH, async (c) => {
    const caller = c.get('caller');
    const version = c.req.header(A2A_VERSION_HEADER) || undefined;
    const useLegacy = (version ?? LEGACY_VERSION) === LEGACY_VERSION;
    const mapError = (error: unknown): RpcError =>
      useLegacy ? LegacyJsonRpcTransportHandler.mapToLegacyJSONRPCError(error) : JsonRpcTransportHandler.mapToJSONRPCError(error);
    const aborter = new AbortController();
    c.req.raw.signal.addEventListener('abort', () => aborter.abort(), { once: true });
    const context = callContext(caller, version, aborter.signal, c.req.header('last-event-id'));

    let body: unknown = null;
    const refused = (error: unknown): Response => answer(c, ctx, version, body, { jsonrpc: '2.0', id: requestIdOf(body), error: mapError(error) }, false);
    const mediaType = c.req.header('content-type')?.split(';', 1)[0]?.trim().toLowerCase();
    if (mediaType !== undefined && mediaType !== 'application/json') {
      return refused(new ContentTypeNotSupportedError(`unsupported Content-Type ${quoteInput(mediaType, 80)}; send application/json`));
    }
    const raw = await readBody(c, MAX_BODY_BYTES);
    if (raw === null) {
      const error = rpcRefusal(ctx, bodyTooLarge(c, MAX_BODY_BYTES), httpSite(c, ctx, 'a2a_rpc', false), { code: INVALID_REQUEST });
      return c.json({ jsonrpc: '2.0', id: null, error }, 413);
    }
    try {
      body = JSON.parse(Buffer.from(raw).toString('utf8'));
    } catch {
      return answer(c, ctx, version, null, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'the body is not JSON: send one JSON-RPC 2.0 request object' } }, false);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return refused(new RequestMalformedError('send one JSON-RPC 2.0 request object (batches are not served)'));
    }
    try {
      validateVersion(context.requestedVersion, await handler.getAgentCard(), 'JSONRPC');
    } catch {
      return refused(new VersionNotSupportedError(`A2A-Version ${quoteInput(context.requestedVersion, 16)} is not served: send 1.0, or 0.3 (the default without the header)`));
    }
    const out = await (useLegacy ? legacy : current).handle(body as Record<string, unknown>, context);
    if (!isStream(out)) return answer(c, ctx, version, body, out, wasAudited(context));

    const iterator = out[Symbol.asyncIterator]();
    const alwaysSse = useLegacy && (body as { method?: unknown }).method === LEGACY_RESUBSCRIBE;
    let first: IteratorResult<RpcResponse, void> | null = null;
    if (!alwaysSse) {
      try {
        first = await iterator.next();
      } catch (error) {
        return answer(c, ctx, version, body, { jsonrpc: '2.0', id: requestIdOf(body), error: mapError(error) }, wasAudited(context));
      }
    }
    const open = { tokenHash: caller.tokenHash, close: () => aborter.abort() };
    streams.add(open);
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => aborter.abort());
      try {
        // Each event with the id the handler gave it as it yielded it (read before the next is pulled).
        const withId = (event: RpcResponse) => {
          const id = eventIdOf(context);
          return `${id === null ? '' : `id: ${id}\n`}${formatSSEEvent(event)}`;
        };
        if (first !== null && first.done !== true) await stream.write(withId(first.value));
        for (let next = await iterator.next(); next.done !== true && !aborter.signal.aborted; next = await iterator.next()) {
          await stream.write(withId(next.value));
        }
      } catch (error) {
        const mapped = mapError(error);
        const told = wasAudited(context) ? mapped : sdkRefusal(c, ctx, version, body, mapped);
        await stream.write(formatSSEErrorEvent({ jsonrpc: '2.0', id: requestIdOf(body), error: told })).catch(() => undefined);
      } finally {
        streams.delete(open);
        await iterator.return?.().catch(() => undefined);
      }
    });
  });
}

/** A JSON-RPC answer; an error the handler did not record yet is recorded first (one row). */
function answer(c: Context<GatewayEnv>, ctx: DaemonContext, version: string | undefined, body: unknown, response: RpcResponse, audited: boolean): Response {
  const error = response.error as RpcError | undefined;
  if (error === undefined || audited) return c.json(response, 200);
  return c.json({ ...response, error: sdkRefusal(c, ctx, version, body, error) }, 200);
}

/**
 * A refusal the SDK made (before any method ran) as it is answered: recorded with its
 * `a2a_rpc_rejected` row, the SDK's JSON-RPC code and data kept, the message starting with the
 * Covenant code like every other refusal of this endpoint. An SDK message may quote the
 * caller's input (the v0.3 layer repeats an unknown method): it is cut to 500 characters and
 * its token-shaped runs to 6, as in every refusal.
 */
function sdkRefusal(c: Context<GatewayEnv>, ctx: DaemonContext, version: string | undefined, body: unknown, error: RpcError): RpcError {
  const method = (body as { method?: unknown } | null)?.method;
  const code = covenantCodeOf(error.code);
  const refusal = refusalWith(code, cutInput(error.message, 500), {
    kind: 'a2a_rpc_rejected',
    payload: {
      method: typeof method === 'string' ? cutInput(method, 64) : null,
      version: cutInput(version ?? LEGACY_VERSION, 16),
      rpc_code: error.code,
      code,
    },
  });
  return rpcRefusal(ctx, refusal, httpSite(c, ctx, 'a2a_rpc', false), error);
}

/**
 * One refusal of this endpoint through the one refusal path (`recordRefusal`: its audit row,
 * the message as the caller is told it) as a JSON-RPC error: `rpc`'s code and data, the message
 * `<Covenant code>: ...`. When the row cannot be written the answer is that failure instead
 * (E_AUDIT_UNAVAILABLE or E_STORAGE_FULL, internal error -32603): nothing is refused unaudited.
 */
function rpcRefusal(ctx: DaemonContext, refusal: CovenantError, site: RefusalSite, rpc: { code: number; data?: unknown }): RpcError {
  const told = recordRefusal(ctx, refusal, site);
  const recorded = told.code === refusal.code;
  return {
    code: recorded ? rpc.code : INTERNAL_ERROR,
    message: `${told.code}: ${told.message}`,
    data: recorded && rpc.data !== undefined ? rpc.data : { covenant_code: told.code },
  };
}
