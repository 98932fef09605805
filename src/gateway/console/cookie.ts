import type { Context } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { DaemonContext } from '../../requests/index.js';
import type { GatewayEnv } from '../env.js';

/**
 * The console session cookie's name carries the daemon's key prefix: cookies are shared by every
 * port of a host, so two daemons on one machine keep their sessions apart (and a cookie of one
 * reaching the other is simply unknown there).
 */
export function consoleCookieName(ctx: Pick<DaemonContext, 'identity'>): string {
  return `covenant_console_${ctx.identity.agentId.pubkey.slice(0, 8)}`;
}

export function readConsoleCookie(c: Context<GatewayEnv>, ctx: Pick<DaemonContext, 'identity'>): string | undefined {
  return getCookie(c, consoleCookieName(ctx));
}

/** HttpOnly (no script reads it), SameSite=Strict, the whole gateway's path, ends with the browser session. */
export function setConsoleCookie(c: Context<GatewayEnv>, ctx: Pick<DaemonContext, 'identity'>, token: string): void {
  setCookie(c, consoleCookieName(ctx), token, { httpOnly: true, sameSite: 'Strict', path: '/' });
}
