import type { Context, Hono } from 'hono';
import { consoleAsset, SESSION_IDLE_MS, type ConsoleAsset } from '../../console/index.js';
import { CovenantError } from '../../core/index.js';
import { refusalWith, type DaemonContext } from '../../requests/index.js';
import { FOREIGN_ORIGIN, type AuthFailure, type GatewayEnv } from '../env.js';
import { auditPath, httpSite, refuse } from '../errors.js';
import { readAtMost } from '../middleware/body-limit.js';
import { messageFor } from '../middleware/require-auth.js';
import { parseJsonBody } from '../routes/params.js';
import type { RouteEntry } from '../routes/requests.js';
import { setConsoleCookie } from './cookie.js';
import { fromOwnOrigin } from './origin.js';

/** Served without a credential: the page, its files, and the trade of a login code for a session. */
export const CONSOLE_PUBLIC_ROUTES: readonly RouteEntry[] = [
  { method: 'GET', path: '/', name: 'console_page', summary: 'The operator console page (SPEC 19); see docs/console.md.' },
  { method: 'GET', path: '/console/assets/:file', name: 'console_asset', summary: "The console page's scripts and style sheet." },
  { method: 'POST', path: '/console/session', name: 'console_login', summary: 'Trades a one-time login code (`covenant console`) for a console session cookie.' },
];
/** Who the console is signed in as (any authenticated caller may ask). */
export const CONSOLE_WHOAMI_ROUTE: RouteEntry = {
  method: 'GET',
  path: '/console/whoami',
  name: 'console_whoami',
  summary: 'Who the console (or any authenticated caller) is signed in as.',
};

/**
 * Nothing but the gateway's own files and its own API: no inline script or style, no other
 * origin, no framing, no form posts, no plugins.
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE_HEADERS = {
  'content-security-policy': CONSOLE_CSP,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};
/** A login body is `{"code": "..."}`: anything longer is not one. */
const MAX_LOGIN_BODY = 4096;

function serve(c: Context<GatewayEnv>, asset: ConsoleAsset): Response {
  return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { ...PAGE_HEADERS, 'content-type': asset.type });
}

/** The console's public routes; mounted before authentication. */
export function mountConsolePublicRoutes(app: Hono<GatewayEnv>, ctx: DaemonContext): void {
  app.get('/', (c) => serve(c, consoleAsset('index.html')!));
  app.get('/console/assets/:file', (c) => {
    const asset = consoleAsset(c.req.param('file'));
    if (asset === null || c.req.param('file') === 'index.html') {
      return refuse(c, ctx, new CovenantError('E_NOT_FOUND', `no console file ${auditPath(c)}`), httpSite(c, ctx, null, true));
    }
    return serve(c, asset);
  });
  app.post('/console/session', async (c) => {
    const refused = (failure: AuthFailure) =>
      refuse(
        c,
        ctx,
        refusalWith(failure.code, messageFor(failure), {
          kind: 'authentication_failed',
          payload: { transport: 'http', reason: failure.reason, token_prefix: failure.tokenPrefix, method: 'POST', path: auditPath(c) },
        }),
        httpSite(c, ctx, 'console_login', false),
      );
    if (!fromOwnOrigin(c)) return refused({ code: 'E_FORBIDDEN', reason: FOREIGN_ORIGIN, tokenPrefix: null });
    const bytes = await readAtMost(c.req.raw.body, MAX_LOGIN_BODY);
    if (bytes !== null) c.set('bodyRead', true);
    const body = bytes === null ? null : parseJsonBody(bytes);
    const code = body?.ok === true && typeof body.value.code === 'string' ? body.value.code : '';
    const traded = ctx.console.exchange(code);
    if (!traded.ok) return refused({ code: 'E_AUTH_FAILED', reason: traded.reason, tokenPrefix: traded.codePrefix });
    setConsoleCookie(c, ctx, traded.token);
    return c.json({ kind: 'console_session', token_prefix: traded.tokenPrefix, idle_expiry_ms: SESSION_IDLE_MS }, 200, { 'cache-control': 'no-store' });
  });
}

/** `GET /console/whoami`: mounted after authentication. */
export function mountConsoleWhoamiRoute(app: Hono<GatewayEnv>): void {
  app.get(CONSOLE_WHOAMI_ROUTE.path, (c) => {
    const caller = c.get('caller');
    return c.json({ kind: 'console_session', token_prefix: caller.tokenPrefix, agent: caller.agentId, idle_expiry_ms: SESSION_IDLE_MS });
  });
}
