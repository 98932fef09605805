import { FrameDecoder } from '../../src/ipc/index.js';
import { MAX_FRAME_BYTES } from '../../src/protocol/index.js';
import type { Rng } from '../harness/rng.js';
import { hugeRequest, mutatedRequest, randomRequest, surrogateRequest, type Message } from './requests.js';
import type { Values } from './values.js';

export type IpcLane = 'pre_auth' | 'guest' | 'operator';

export interface IpcCase {
  lane: IpcLane;
  category: string;
  /** The request kind as sent (shortened), for reports. */
  kind: string;
  bytes: Buffer;
  /** Complete frames in `bytes` (an oversized header counts once and ends the stream). */
  completeFrames: number;
  /** Bytes after the last complete frame: an unfinished frame the connection cannot recover from. */
  unfinished: boolean;
  /** A declared length over the cap: covenantd answers it and closes the connection. */
  oversized: boolean;
}

const CATEGORY_WEIGHTS = {
  mutated: 40,
  random_kind: 12,
  random_body: 8,
  garbage: 5,
  truncated_header: 4,
  huge_length: 4,
  short_body: 4,
  invalid_utf8: 4,
  not_an_object: 5,
  deep: 4,
  surrogates: 6,
  huge_string: 0.4,
  golden: 3,
  authenticate: 10,
} as const;
type Category = keyof typeof CATEGORY_WEIGHTS;

export function frame(body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header.writeUInt32BE(body.length, 0);
  return Buffer.concat([header, body]);
}

export function ipcCase(rng: Rng, values: Values, golden: readonly Message[], lane: IpcLane, token: () => string): IpcCase {
  const category = rng.weighted(CATEGORY_WEIGHTS) as Category;
  const { bytes, kind } = build(category, rng, values, golden, lane, token);
  const decoder = new FrameDecoder();
  const frames = decoder.push(bytes);
  const ended = frames.some((f) => f.type === 'too_large');
  return {
    lane,
    category,
    kind: typeof kind === 'string' ? kind.slice(0, 60) : JSON.stringify(kind)?.slice(0, 60) ?? 'undefined',
    bytes,
    completeFrames: frames.length,
    unfinished: !ended && decoder.pendingBytes > 0,
    oversized: ended,
  };
}

function build(category: Category, rng: Rng, values: Values, golden: readonly Message[], lane: IpcLane, token: () => string): { bytes: Buffer; kind: unknown } {
  const text = (request: { text: string; kind: unknown }) => ({ bytes: frame(Buffer.from(request.text, 'utf8')), kind: request.kind });
  switch (category) {
    case 'mutated':
      return text(mutatedRequest(rng, values, golden, lane === 'operator'));
    case 'random_kind':
      return text(randomRequest(rng, values));
    case 'random_body':
      return { bytes: frame(rng.bytes(rng.int(0, 2048))), kind: '<random bytes>' };
    case 'garbage':
      return { bytes: rng.bytes(rng.int(1, 2048)), kind: '<no header>' };
    case 'truncated_header':
      return { bytes: rng.bytes(rng.int(1, 3)), kind: '<truncated header>' };
    case 'huge_length': {
      const header = Buffer.alloc(4);
      header.writeUInt32BE(rng.int(MAX_FRAME_BYTES + 1, 0xffffffff), 0);
      return { bytes: Buffer.concat([header, rng.bytes(rng.int(0, 64))]), kind: '<huge length>' };
    }
    case 'short_body': {
      const body = Buffer.from(mutatedRequest(rng, values, golden, lane === 'operator').text, 'utf8');
      const header = Buffer.alloc(4);
      header.writeUInt32BE(body.length + rng.int(1, 65_536), 0);
      return { bytes: Buffer.concat([header, body]), kind: '<declared longer than sent>' };
    }
    case 'invalid_utf8': {
      const body = Buffer.from(JSON.stringify({ kind: 'ping', text: 'xx' }), 'utf8');
      const at = body.indexOf('xx');
      const bad = rng.pick([Buffer.from([0xed, 0xa0, 0x80]), Buffer.from([0xff]), Buffer.from([0xc0, 0xaf]), Buffer.from([0xf8, 0x88, 0x80, 0x80, 0x80])]);
      return { bytes: frame(Buffer.concat([body.subarray(0, at), bad, body.subarray(at + 2)])), kind: 'ping' };
    }
    case 'not_an_object':
      return { bytes: frame(Buffer.from(rng.pick(['null', '1', '"ping"', '[{"kind":"ping"}]', 'true', '""', '[]', '1e999', '-0']), 'utf8')), kind: '<not an object>' };
    case 'deep': {
      const levels = rng.int(1_000, 30_000);
      const nest = rng.chance(0.5) ? '['.repeat(levels) + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
      const body = rng.chance(0.5) ? nest : `{"kind":"${rng.pick(['ping', 'capabilities_grant', 'tools_call', 'memory_write'])}","scope":${nest},"arguments":${nest}}`;
      return { bytes: frame(Buffer.from(body, 'utf8')), kind: '<deep>' };
    }
    case 'surrogates':
      return text(surrogateRequest(rng, values));
    case 'huge_string':
      return text(hugeRequest(rng, values, golden));
    case 'golden': {
      const message = structuredClone(rng.pick(golden));
      if (lane === 'operator' && message.kind === 'peers_revoke') message.force = false;
      return text({ text: JSON.stringify(message), kind: message.kind });
    }
    case 'authenticate': {
      const tokenValue = rng.pick<unknown>([values.realToken(), values.realToken(), values.string(), token(), 1, null, {}, ['x'], 'x'.repeat(257)]);
      return text({ text: JSON.stringify({ kind: 'authenticate', token_b58: tokenValue, ...(rng.chance(0.3) ? { id: rng.pick<unknown>([7, values.string(), values.number(), null]) } : {}) }), kind: 'authenticate' });
    }
  }
}
