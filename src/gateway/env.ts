import type { HttpBindings } from '@hono/node-server';
import type { ErrorCode } from '../core/index.js';
import type { CodeRefusal, SessionRefusal } from '../console/index.js';
import type { Caller } from '../requests/index.js';

/** A console cookie or code sent by a page of another origin (docs/console.md). */
export const FOREIGN_ORIGIN = 'console request from another origin';

/** Why a request carries no usable credential. `tokenPrefix` is at most 6 characters. */
export interface AuthFailure {
  code: Extract<ErrorCode, 'E_AUTH_REQUIRED' | 'E_AUTH_FAILED' | 'E_FORBIDDEN'>;
  reason:
    | 'missing bearer token'
    | 'malformed authorization header'
    | 'unknown token'
    | 'revoked token'
    | SessionRefusal
    | CodeRefusal
    | typeof FOREIGN_ORIGIN;
  tokenPrefix: string | null;
}

/** What `identify` found: a live peer, or why not. Nothing is refused at that point. */
export type Identity = { caller: Caller; failure: null } | { caller: null; failure: AuthFailure };

export interface GatewayVariables {
  identity: Identity;
  /** Set by `requireAuth`: every protected route can rely on it. */
  caller: Caller;
  /** Set once the whole request body has been read. */
  bodyRead: boolean;
  /** The request body, read (within the size limit) by `limitBody`; routes read it from here. */
  body: Uint8Array;
}

/** Bindings are absent when the app is driven through `app.request()` in tests. */
export type GatewayEnv = { Bindings: Partial<HttpBindings>; Variables: GatewayVariables };
