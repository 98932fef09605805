import { MAX_FRAME_BYTES } from '../../src/protocol/index.js';
import type { Rng } from '../harness/rng.js';

/**
 * A JSON text assembled from an object whose placeholder strings are replaced by raw JSON
 * fragments afterwards: nesting 100,000 levels deep cannot be built as an object and stringified.
 */
export class JsonText {
  private readonly fragments = new Map<string, string>();

  raw(text: string): string {
    const key = `\u0000raw${this.fragments.size}\u0000`;
    this.fragments.set(JSON.stringify(key), text);
    return key;
  }

  stringify(value: unknown): string {
    let text = JSON.stringify(value) ?? 'null';
    for (const [key, fragment] of this.fragments) text = text.split(key).join(fragment);
    return text;
  }
}

const BASE58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
const HUGE_UNITS = ['a', '"', '\\', '\u0001', '\ud800', 'é', '\u{1F600}', '</script>', '%00'] as const;

/** Random and hostile JSON values; `tokens()` gives the real tokens to slip into fields sometimes. */
export class Values {
  constructor(
    private readonly rng: Rng,
    private readonly tokens: () => string[],
  ) {}

  string(): string {
    const r = this.rng;
    switch (r.int(0, 13)) {
      case 0:
        return '';
      case 1:
        return this.ascii(r.int(1, 40));
      case 2:
        return this.loneSurrogates();
      case 3:
        return `${this.ascii(r.int(0, 8))}${r.pick(['\ud800', '\udfff', '\udc00\ud800', '\ud83d'])}${this.ascii(r.int(0, 8))}`;
      case 4:
        return this.realToken();
      case 5:
        return this.base58(r.int(1, 90));
      case 6:
        return r.pick(['../../../../etc/passwd', '/', '/etc', '~/.ssh/id_ed25519', 'C:\\Windows', '\u0000', '%00', '${jndi:x}', "' OR 1=1 --", '<script>']);
      case 7:
        return this.ascii(r.int(200, 70_000));
      case 8:
        return String.fromCharCode(...Array.from({ length: r.int(1, 30) }, () => r.int(0, 0xffff)));
      case 9:
        return r.pick(['working', 'episodic', 'longterm', 'long-term', 'hello', 'echo', 'latest', 'operator', 'bob@peer', 'memory.read', 'tool.call.echo', 'audit.purge', 'chain.flush', '*', 'memory.*']);
      case 10:
        return `${this.ascii(r.int(1, 10))}@peer`;
      case 11:
        return '\u202e\u200b\ufeff' + this.ascii(r.int(1, 10));
      case 12:
        return '"'.repeat(r.int(1, 300)) + '\\'.repeat(r.int(0, 300));
      default:
        return this.ascii(r.int(0, 8)) + '\n\r\t' + this.ascii(r.int(0, 8));
    }
  }

  number(): number {
    return this.rng.pick([0, -1, 1, 2, 10, 1000, 1001, 100_000, 2 ** 31, 2 ** 32 + 1, 2 ** 53, -(2 ** 53), 1e308, -1e308, 0.5, -0.0, 86_400_000, 1_795_531_000_000, 2_795_531_000_000, this.rng.int(-1e9, 1e9)]);
  }

  /** Any JSON value, nested at most `depth` levels (deep nesting comes from `deep`). */
  value(json: JsonText, depth = 2): unknown {
    const r = this.rng;
    switch (r.int(0, depth > 0 ? 9 : 5)) {
      case 0:
      case 1:
        return this.string();
      case 2:
        return this.number();
      case 3:
        return r.chance(0.5);
      case 4:
        return null;
      case 5:
        return r.chance(0.1) ? this.deep(json) : this.string();
      case 6:
      case 7:
        return Array.from({ length: r.int(0, 4) }, () => this.value(json, depth - 1));
      default: {
        const object: Record<string, unknown> = {};
        for (let i = r.int(0, 4); i > 0; i -= 1) object[this.key()] = this.value(json, depth - 1);
        return object;
      }
    }
  }

  key(): string {
    return this.rng.pick(['kind', 'id', 'text', 'tier', 'limit', 'scope', 'to', 'action', 'token_b58', 'agent', '__proto__', 'constructor', '', 'x'.repeat(300), '\ud800', this.ascii(6)]);
  }

  /** Arrays or objects nested 1,000-30,000 levels deep (past any recursive walk's stack), as a raw fragment. */
  deep(json: JsonText): string {
    const levels = this.rng.int(1_000, 30_000);
    const text = this.rng.chance(0.5) ? '['.repeat(levels) + ']'.repeat(levels) : '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);
    return json.raw(text);
  }

  /**
   * A string of a few MiB made of one unit: plain letters, or characters that grow when quoted
   * again (quotes, backslashes, control characters, lone surrogates). Its JSON form is sized
   * around the 8 MiB frame cap, on both sides of it.
   */
  huge(): string {
    const unit = this.rng.pick(HUGE_UNITS);
    const encoded = Buffer.byteLength(JSON.stringify(unit)) - 2;
    const target = this.rng.int(Math.floor(MAX_FRAME_BYTES * 0.25), Math.floor(MAX_FRAME_BYTES * 1.02));
    return unit.repeat(Math.max(1, Math.floor(target / encoded)));
  }

  realToken(): string {
    const tokens = this.tokens();
    const token = tokens.length > 0 ? this.rng.pick(tokens) : this.base58(44);
    switch (this.rng.int(0, 5)) {
      case 0:
        return token;
      case 1:
        return token.slice(0, this.rng.int(1, token.length - 1));
      case 2:
        return `${token}${this.rng.pick([' ', '\n', '\ud800', 'x', '\u0000'])}`;
      case 3:
        return token.slice(0, 10) + this.rng.pick(['\ud800', '0', 'O', 'l']) + token.slice(11);
      case 4:
        return `/peers/${token}`;
      default:
        return token.repeat(this.rng.int(2, 8));
    }
  }

  loneSurrogates(): string {
    return Array.from({ length: this.rng.int(1, 6) }, () => String.fromCharCode(this.rng.int(0xd800, 0xdfff))).join('');
  }

  ascii(length: number): string {
    const bytes = this.rng.bytes(length);
    for (let i = 0; i < length; i += 1) bytes[i] = 0x20 + (bytes[i]! % 95);
    return bytes.toString('latin1');
  }

  base58(length: number): string {
    let out = '';
    for (let i = 0; i < length; i += 1) out += BASE58[this.rng.int(0, BASE58.length - 1)];
    return out;
  }
}
