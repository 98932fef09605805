import { ServerCallContext, type User } from '@a2a-js/sdk/server';
import { CovenantError } from '../../core/index.js';
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
const LAST_EVENT_ID = 'covenant.last_event_id';
const EVENT_ID = 'covenant.event_id';

/**
 * The SDK's per-call context for `caller`; `signal` ends waits and streams when the client goes
 * away; `lastEventId` is the SSE `Last-Event-ID` header a resubscribing client sent.
 */
export function callContext(caller: Caller, requestedVersion: string | undefined, signal: AbortSignal, lastEventId?: string): ServerCallContext {
  const state = new Map<string, unknown>([[SIGNAL, signal]]);
  if (lastEventId !== undefined) state.set(LAST_EVENT_ID, lastEventId);
  return new ServerCallContext({ user: new CallerUser(caller), ...(requestedVersion ? { requestedVersion } : {}), state });
}

/** The event id a resubscribe resumes after (0: from the start); a header that is not one of ours is refused. */
export function resumeAfter(context: ServerCallContext): number {
  const header = context.state.get(LAST_EVENT_ID) as string | undefined;
  if (header === undefined || header.trim() === '') return 0;
  if (!/^\d{1,15}$/.test(header.trim())) throw new CovenantError('E_BAD_REQUEST', 'Last-Event-ID must be the id of an event this daemon streamed (a number); leave it out to replay the whole task');
  return Number(header.trim());
}

/** The SSE id of the stream event being yielded now (its change's seq in the task's log), or null for none. */
export function setEventId(context: ServerCallContext, id: number | null): void {
  context.state.set(EVENT_ID, id);
}

export function eventIdOf(context: ServerCallContext): number | null {
  return (context.state.get(EVENT_ID) as number | null | undefined) ?? null;
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
