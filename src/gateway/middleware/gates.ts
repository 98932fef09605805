import type { Context, MiddlewareHandler } from 'hono';
import type { GatewayEnv } from '../env.js';

/**
 * A check a request passes before its route: an answer (a refusal, a CORS preflight) ends the
 * request there; undefined lets it go on to the next gate.
 */
export type Gate = (c: Context<GatewayEnv, string>) => Response | Promise<Response | void> | undefined;

/**
 * Gates run one after another as one middleware. A request let through costs one level of
 * hono's middleware chain for all of them, not one (and its promises) each (docs/http-gateway.md,
 * "Speed"). A gate that throws is handled as a middleware that throws.
 */
export function gates(...list: Gate[]): MiddlewareHandler<GatewayEnv> {
  return (c, next) => {
    for (const gate of list) {
      const answer = gate(c);
      if (answer !== undefined) return Promise.resolve(answer);
    }
    return next();
  };
}
