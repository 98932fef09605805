import { ServerCallContext, type User } from '@a2a-js/sdk/server';
import type { Caller } from '../caller.js';

/** The authenticated peer behind one JSON-RPC call (the gateway resolved its bearer token). */
export class CallerUser implements User {
  constructor(readonly caller: Caller) {}
  get isAuthenticated(): boolean {
    return true;
  }
  get userName(): string {
    return this.caller.agentId.display;
  }
}

const SIGNAL = 'covenant.signal';
const AUDITED = 'covenant.audited';

/** The SDK's per-call context for `caller`; `signal` ends waits and streams when the client goes away. */
export function callContext(caller: Caller, requestedVersion: string | undefined, signal: AbortSignal): ServerCallContext {
  return new ServerCallContext({ user: new CallerUser(caller), ...(requestedVersion ? { requestedVersion } : {}), state: new Map<string, unknown>([[SIGNAL, signal]]) });
}

export function callerOf(context: ServerCallContext): Caller {
  const user = context.user;
  if (!(user instanceof CallerUser)) throw new Error('a2a call without an authenticated caller');
  return user.caller;
}

export function signalOf(context: ServerCallContext): AbortSignal {
  return context.state.get(SIGNAL) as AbortSignal;
}

/** The refusal answered in this call has written its audit row already (on the request path). */
export function markAudited(context: ServerCallContext): void {
  context.state.set(AUDITED, true);
}

export function wasAudited(context: ServerCallContext): boolean {
  return context.state.get(AUDITED) === true;
}
