import type { Context, Next } from 'hono';
import type { DaemonContext, InFlightTracker } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';
import { refusalFromError } from '../errors.js';
import { requestHeader } from '../request-header.js';
import { runGates, type Gate } from './gates.js';

/** The checks every request goes through before its route, in order (docs/http-gateway.md). */
export interface Checks {
  /** CORS, identification, rate limit: before any route, public ones included. */
  first: readonly Gate[];
  /** Authentication, for every route not public (and for a request no route serves). */
  auth: Gate;
  /** The body limit, last: no body is read for an unauthenticated caller or a request no route serves. */
  body: Gate;
}

/** What the front door knows of the route it guards, settled when the route is mounted. */
export interface Guarded {
  /** Served without a token: the request goes to its route after `Checks.first`. */
  isPublic: boolean;
  /**
   * Whether the body limit reads the body before the route. Not for `POST /a2a/v1`, which
   * reads its own (to refuse an oversized one as JSON-RPC), nor for the 404/405 answer of a
   * request no route serves, which reads none.
   */
  limitBody: boolean;
}

/** `checks` for one request to `route`: an answer (a refusal, a preflight) ends it; undefined lets it go on to its route. */
function admit(c: Context<GatewayEnv, string>, checks: Checks, route: Guarded): ReturnType<Gate> {
  const first = runGates(checks.first, c);
  if (first !== undefined || route.isPublic) return first;
  const auth = checks.auth(c);
  if (auth !== undefined || !route.limitBody) return auth;
  return checks.body(c);
}

/** Whether the request says a body follows (a chunked one, or a Content-Length above 0). */
function declaresBody(c: Context<GatewayEnv>): boolean {
  return requestHeader(c, 'transfer-encoding') !== undefined || Number(requestHeader(c, 'content-length') ?? '0') > 0;
}

/** A route's handler as hono calls it. */
export type RouteHandler = (c: Context<GatewayEnv, string>, next: Next) => Response | Promise<Response | void>;

/**
 * The front door of every route (and of the not-found answer): `checks`, as plain functions,
 * then the route, in one function hono calls as the route's handler. A route hono matched is
 * served by definition: only the not-found answer refuses a method or path. No middleware is
 * registered, so hono calls that one handler directly, without its middleware chain
 * (docs/http-gateway.md, "Speed"). When the checks and the route answer synchronously (a read
 * with nothing to commit), so does the door: hono and the node adapter then write the answer in
 * the same turn, without a Promise between them. Besides the checks:
 * - it counts the request as in flight, so the server's `close()` lets it finish (event
 *   streams end at once);
 * - whatever escapes the rest, including values that are not Errors (hono's `onError` only
 *   sees Error instances), is answered E_INTERNAL, audited and logged;
 * - an answer given before the request body was read (401, 413, 429, 404...) closes the
 *   connection: the client may still be sending, and reusing that socket would race the server
 *   discarding the rest of the body.
 */
export function frontDoor(ctx: DaemonContext, tracker: InFlightTracker, checks: Checks): (route: RouteHandler, guarded: Guarded) => RouteHandler {
  return (route, guarded) => (c, next) => {
    const hasBody = declaresBody(c);
    const done = tracker.start();
    const finish = <A extends Response | void>(answer: A): A => {
      done();
      if (answer && hasBody && c.get('bodyRead') !== true) answer.headers.set('Connection', 'close');
      return answer;
    };
    const fail = (error: unknown): Response => {
      let answer: Response;
      try {
        answer = refusalFromError(c, ctx, null, error);
      } catch (escaped) {
        done();
        throw escaped;
      }
      return finish(answer);
    };
    try {
      const pending = admit(c, checks, guarded);
      const answer = pending === undefined ? route(c, next) : pending instanceof Promise ? pending.then((first) => first ?? route(c, next)) : pending;
      return answer instanceof Promise ? answer.then(finish, fail) : finish(answer);
    } catch (error) {
      return fail(error);
    }
  };
}
