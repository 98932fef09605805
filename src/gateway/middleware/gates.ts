import type { Context } from 'hono';
import type { GatewayEnv } from '../env.js';

/**
 * A check a request passes before its route: an answer (a refusal, a CORS preflight) ends the
 * request there; undefined lets it go on to the next gate.
 */
export type Gate = (c: Context<GatewayEnv, string>) => Response | Promise<Response | void> | undefined;

/** Runs `list` in order up to the first answer (undefined when every gate lets the request through). */
export function runGates(list: readonly Gate[], c: Context<GatewayEnv, string>): ReturnType<Gate> {
  for (const gate of list) {
    const answer = gate(c);
    if (answer !== undefined) return answer;
  }
  return undefined;
}
