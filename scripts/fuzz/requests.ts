import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REQUESTS } from '../../src/protocol/index.js';
import { REPO_ROOT } from '../../test/helpers/binaries.js';
import type { Rng } from '../harness/rng.js';
import { JsonText, type Values } from './values.js';

export type Message = Record<string, unknown>;

/** One valid request of every kind, from the golden corpus (test/golden/requests). */
export function goldenRequests(): Message[] {
  const dir = join(REPO_ROOT, 'test', 'golden', 'requests');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => JSON.parse(readFileSync(join(dir, name), 'utf8')) as Message);
}

export const KINDS = Object.keys(REQUESTS);

/**
 * A golden request changed in one to three ways, as JSON text. As the operator a peers_revoke
 * never carries force: a forced self-revoke would lock the harness out of its own daemon.
 */
export function mutatedRequest(rng: Rng, values: Values, golden: readonly Message[], operator: boolean, only?: string): { text: string; kind: unknown } {
  const json = new JsonText();
  const pool = only === undefined ? golden : golden.filter((g) => g.kind === only);
  const message: Message = structuredClone(rng.pick(pool.length > 0 ? pool : golden));
  for (let n = rng.int(1, 3); n > 0; n -= 1) mutate(rng, values, json, message);
  if (operator && (message.kind === 'peers_revoke' || only === 'peers_revoke')) message.force = false;
  const deepKind = typeof message.kind === 'string' && message.kind.startsWith('\u0000raw');
  return { text: json.stringify(message), kind: deepKind ? '<deep>' : message.kind };
}

function mutate(rng: Rng, values: Values, json: JsonText, message: Message): void {
  const fields = Object.keys(message).filter((k) => k !== 'kind');
  switch (rng.int(0, 9)) {
    case 0:
    case 1:
    case 2:
      if (fields.length > 0) message[rng.pick(fields)] = values.value(json);
      else message[values.key()] = values.value(json);
      return;
    case 3:
      if (fields.length > 0) delete message[rng.pick(fields)];
      return;
    case 4:
      message[values.key()] = values.value(json);
      return;
    case 5:
      message.kind = rng.chance(0.5) ? rng.pick(KINDS) : values.string();
      return;
    case 6: {
      // The kind may already be a mutated value, even an object without a prototype.
      const kind = typeof message.kind === 'string' ? message.kind : 'kind';
      message.kind = rng.pick([null, 1, [], {}, true, values.loneSurrogates(), `${kind}\ud800`, kind.toUpperCase()]);
      return;
    }
    case 7:
      message.id = rng.pick([values.string(), values.number(), { a: 1 }, [], null, 'x'.repeat(129), 1.5]);
      return;
    case 8:
      // Nested parameters (scope, arguments) get hostile values too.
      message[rng.pick(['scope', 'arguments', 'kinds', 'text'])] = rng.chance(0.3) ? values.deep(json) : values.value(json, 3);
      return;
    default:
      if (fields.length > 0) message[rng.pick(fields)] = values.string();
  }
}

/** A request of a made-up or real kind with random parameters. */
export function randomRequest(rng: Rng, values: Values): { text: string; kind: unknown } {
  const json = new JsonText();
  const message: Message = { kind: rng.chance(0.5) ? values.string() : rng.pick(KINDS) };
  for (let i = rng.int(0, 5); i > 0; i -= 1) message[values.key()] = values.value(json);
  return { text: json.stringify(message), kind: message.kind };
}

/** A request whose kind, or one of whose fields, is a string of several MiB. */
export function hugeRequest(rng: Rng, values: Values, golden: readonly Message[]): { text: string; kind: unknown } {
  const message: Message = structuredClone(rng.pick(golden));
  const field = rng.chance(0.5) ? 'kind' : rng.pick(Object.keys(message).filter((k) => k !== 'kind').concat('text'));
  message[field] = values.huge();
  return { text: JSON.stringify(message), kind: field === 'kind' ? '<huge>' : message.kind };
}

/** Lone surrogates where canonical JSON and audit rows meet them: kind, token, grant and revoke arguments. */
export function surrogateRequest(rng: Rng, values: Values): { text: string; kind: unknown } {
  const s = () => `${values.ascii(rng.int(0, 6))}${values.loneSurrogates()}${values.ascii(rng.int(0, 6))}`;
  const message = rng.pick<Message>([
    { kind: s() },
    { kind: 'authenticate', token_b58: s() },
    { kind: 'capabilities_grant', action: s(), to: s() },
    { kind: 'capabilities_grant', action: 'memory.read', scope: { [s()]: s() } },
    { kind: 'capabilities_revoke', id_or_signature: s() },
    { kind: 'peers_revoke', token_prefix: s() },
    { kind: 'memory_write', text: s(), tier: s() },
    { kind: 'memory_search', query: s() },
    { kind: 'submit_intent', text: s(), agent: s() },
    { kind: 'tools_call', name: s(), arguments: { text: s() } },
    { kind: 'audit_recent', kinds: [s()], issuer: s() },
    { kind: 'ping', id: s() },
  ]);
  return { text: JSON.stringify(message), kind: message.kind };
}
