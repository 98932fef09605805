import type { RouteEntry } from '../../src/gateway/routes/requests.js';
import type { Rng } from '../harness/rng.js';
import type { HttpAttempt } from './http-send.js';
import { mutatedRequest, type Message } from './requests.js';
import { JsonText, type Values } from './values.js';

export type HttpAuth = 'operator' | 'guest' | 'none' | 'unknown_token' | 'malformed' | 'revoked' | 'odd_spacing';

export interface HttpCase {
  attempt: HttpAttempt;
  auth: HttpAuth;
  route: string;
  category: string;
}

export interface HttpTokens {
  operator: string;
  guest: string;
  revoked: string | null;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD'] as const;
const AUTH_WEIGHTS = { operator: 35, guest: 25, none: 12, unknown_token: 10, malformed: 6, revoked: 6, odd_spacing: 6 } as const;
const BODY_WEIGHTS = { mutated: 45, random_json: 15, invalid: 10, empty: 10, deep: 6, surrogates: 8, huge: 0.5, kind_mismatch: 5 } as const;

/** A request to one of the gateway's routes (or a path next to one), with a hostile method, token, query or body. */
export function httpCase(rng: Rng, values: Values, golden: readonly Message[], routes: readonly RouteEntry[], tokens: HttpTokens): HttpCase {
  const route = rng.pick(routes);
  const auth = rng.weighted(AUTH_WEIGHTS);
  const method = rng.chance(0.6) ? route.method : rng.pick(METHODS);
  const headers: Record<string, string> = {};
  const authorization = authHeader(auth, rng, values, tokens);
  if (authorization !== null) headers.authorization = authorization;
  let path = routePath(rng, values, route, tokens);
  let category = 'route';
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
    if (rng.chance(0.7)) path += `?${query(rng, values, golden, route)}`;
    category = 'query';
  }
  let body: Buffer | null = null;
  if (method !== 'GET' && method !== 'HEAD' && rng.chance(0.9)) {
    const built = httpBody(rng, values, golden, route, auth === 'operator');
    body = built.body;
    category = `body:${built.category}`;
    headers['content-type'] = rng.chance(0.85) ? 'application/json' : rng.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/json; charset=latin1']);
  }
  if (rng.chance(0.05)) headers.origin = rng.pick(['http://evil.example', 'null', 'http://localhost:5173']);
  return { attempt: { method, path, headers, body }, auth, route: `${route.method} ${route.path}`, category };
}

function authHeader(auth: HttpAuth, rng: Rng, values: Values, tokens: HttpTokens): string | null {
  switch (auth) {
    case 'operator':
      return `Bearer ${tokens.operator}`;
    case 'guest':
      return `Bearer ${tokens.guest}`;
    case 'none':
      return null;
    case 'unknown_token':
      return `Bearer ${values.base58(rng.int(1, 300))}`;
    case 'malformed':
      return rng.pick(['Bearer', 'Basic dXNlcjpwYXNz', `Bearer ${tokens.operator} ${tokens.guest}`, `Token ${tokens.operator}`, `Bearer ${values.ascii(12).replace(/\s/g, '')}x y`]);
    case 'revoked':
      return `Bearer ${tokens.revoked ?? values.base58(44)}`;
    case 'odd_spacing':
      return rng.pick([`bearer\t${tokens.operator}`, `BEARER ${tokens.guest}  `, `Bearer  ${tokens.operator}`]);
  }
}

function routePath(rng: Rng, values: Values, route: RouteEntry, tokens: HttpTokens): string {
  const base = route.path.replace(/:[^/]+/g, () => segment(values.string()));
  switch (rng.int(0, 9)) {
    case 0:
      return `${base}/${segment(values.string())}`;
    case 1:
      return `/${segment(values.string())}/${segment(values.string())}`;
    case 2:
      // A token in the path: it must never reach an audit row or a message whole.
      return `/${rng.pick(['peers', 'capabilities', 'x'])}/${rng.chance(0.5) ? tokens.operator : tokens.guest}`;
    case 3:
      return rng.pick([`${base}/`, `/${base}`, base.toUpperCase(), `${base}%2e%2e/`, `/..${base}`, `${base};x=1`, `${base}#frag`]);
    default:
      return base;
  }
}

function query(rng: Rng, values: Values, golden: readonly Message[], route: RouteEntry): string {
  const params = new URLSearchParams();
  const { text } = mutatedRequest(rng, values, golden, true, route.name);
  let message: Record<string, unknown> = {};
  try {
    message = JSON.parse(text) as Record<string, unknown>;
  } catch {
    // deep or odd: keep it as one parameter
    params.append('x', text.slice(0, 2000));
  }
  for (const [key, value] of Object.entries(message)) {
    if (key === 'kind' && rng.chance(0.8)) continue;
    for (const item of Array.isArray(value) ? value : [value]) params.append(key, typeof item === 'string' ? item : shortJson(item));
  }
  if (rng.chance(0.2)) params.append(values.key(), values.string());
  return params.toString();
}

function httpBody(rng: Rng, values: Values, golden: readonly Message[], route: RouteEntry, operator: boolean): { body: Buffer; category: string } {
  const category = rng.weighted(BODY_WEIGHTS);
  const json = new JsonText();
  switch (category) {
    case 'mutated': {
      const { text } = mutatedRequest(rng, values, golden, operator, route.name);
      return { body: Buffer.from(dropKind(text), 'utf8'), category };
    }
    case 'random_json':
      return { body: Buffer.from(json.stringify(values.value(json, 3)), 'utf8'), category };
    case 'invalid':
      return { body: rng.chance(0.5) ? rng.bytes(rng.int(1, 2048)) : Buffer.from(rng.pick(['{', '{"a":', '{"text":"\\ud800', "{'a':1}", '{"a":1}}', '\u0000']), 'utf8'), category };
    case 'empty':
      return { body: Buffer.alloc(0), category };
    case 'deep': {
      const levels = rng.int(1_000, 30_000);
      return { body: Buffer.from(`{"scope":${'['.repeat(levels)}${']'.repeat(levels)}}`, 'utf8'), category };
    }
    case 'surrogates':
      return { body: Buffer.from(JSON.stringify({ text: values.loneSurrogates(), action: values.loneSurrogates(), id_or_signature: `${values.realToken()}\ud800`, to: values.loneSurrogates() }), 'utf8'), category };
    case 'huge':
      return { body: Buffer.from(JSON.stringify({ text: values.huge() }), 'utf8'), category };
    case 'kind_mismatch':
      return { body: Buffer.from(JSON.stringify({ kind: rng.pick(['ping', 'peers_rotate', values.string()]) }), 'utf8'), category };
  }
}

/** Percent-encodes a path segment; a lone surrogate becomes its (invalid) three UTF-8-style bytes. */
function segment(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (char.length === 1 && code >= 0xd800 && code <= 0xdfff) {
      out += [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('');
    } else out += encodeURIComponent(char);
  }
  return out;
}

/** A value as query text; a value nested too deep to stringify becomes a bracket run. */
function shortJson(value: unknown): string {
  try {
    return JSON.stringify(value)?.slice(0, 2000) ?? '';
  } catch {
    return '['.repeat(2000);
  }
}

/** The route names the kind; a body usually carries none. */
function dropKind(text: string): string {
  return text.replace(/^\{"kind":("(?:[^"\\]|\\.)*"|[^,}]*),?/, '{');
}
