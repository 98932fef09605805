#!/usr/bin/env node
// Writes a tiny llama-architecture GGUF (SPEC 16 "A test model"): GGUF v3, F32 tensors with
// fixed-seed weights, a byte-level gpt2 vocabulary (256 byte tokens + <|endoftext|>), 64
// dimensions, 2 blocks, 4 heads, feed-forward 128, context 1024: about 0.5 MB. Real inference
// through the llama-cpp provider runs on it in CI with no weights downloaded; its output is
// gibberish but the same for the same file.
//
// Greedy decoding on random weights may stop at once or print bytes that are not UTF-8. So
// dimension 0 of the residual stream is a constant (every token embedding has it, no layer
// writes it), and the output rows of every token but printable ASCII weigh it strongly
// negative: the model only ever prints printable ASCII.
//
// Usage: node scripts/make-test-model.mjs <out.gguf> [--omit <metadata key>]
//   --omit writes a broken file for tests (e.g. --omit llama.feed_forward_length, which makes
//   llama.cpp abort its process).
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const DIMS = 64;
const BLOCKS = 2;
const HEADS = 4;
const FF = 128;
const CONTEXT = 1024;
const ALIGNMENT = 32;
const SEED = 0x5eed1234;

const T = { UINT32: 4, INT32: 5, FLOAT32: 6, BOOL: 7, STRING: 8, ARRAY: 9 };

/** GPT-2's byte-to-unicode table: the token text of each byte. */
function byteTokens() {
  const printable = [];
  for (let b = 0x21; b <= 0x7e; b += 1) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b += 1) printable.push(b);
  for (let b = 0xae; b <= 0xff; b += 1) printable.push(b);
  const texts = new Array(256);
  let extra = 0;
  for (let b = 0; b < 256; b += 1) {
    texts[b] = printable.includes(b) ? String.fromCodePoint(b) : String.fromCodePoint(256 + extra++);
  }
  return texts;
}

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Writer {
  constructor() {
    this.parts = [];
    this.length = 0;
  }
  push(buf) {
    this.parts.push(buf);
    this.length += buf.length;
  }
  u32(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v);
    this.push(b);
  }
  i32(v) {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.push(b);
  }
  u64(v) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    this.push(b);
  }
  f32(v) {
    const b = Buffer.alloc(4);
    b.writeFloatLE(v);
    this.push(b);
  }
  str(s) {
    const bytes = Buffer.from(s, 'utf8');
    this.u64(bytes.length);
    this.push(bytes);
  }
  pad(alignment) {
    const rest = this.length % alignment;
    if (rest !== 0) this.push(Buffer.alloc(alignment - rest));
  }
}

function metadata(vocab) {
  const eos = vocab.length - 1;
  const types = vocab.map((_, i) => (i === eos ? 3 : 1)); // 1 normal, 3 control
  return [
    ['general.architecture', T.STRING, 'llama'],
    ['general.name', T.STRING, 'covenant-test-model'],
    ['general.alignment', T.UINT32, ALIGNMENT],
    ['llama.context_length', T.UINT32, CONTEXT],
    ['llama.embedding_length', T.UINT32, DIMS],
    ['llama.block_count', T.UINT32, BLOCKS],
    ['llama.feed_forward_length', T.UINT32, FF],
    ['llama.attention.head_count', T.UINT32, HEADS],
    ['llama.attention.layer_norm_rms_epsilon', T.FLOAT32, 1e-5],
    ['tokenizer.ggml.model', T.STRING, 'gpt2'],
    ['tokenizer.ggml.pre', T.STRING, 'default'],
    ['tokenizer.ggml.tokens', T.ARRAY, { type: T.STRING, values: vocab }],
    ['tokenizer.ggml.token_type', T.ARRAY, { type: T.INT32, values: types }],
    ['tokenizer.ggml.merges', T.ARRAY, { type: T.STRING, values: [] }],
    ['tokenizer.ggml.bos_token_id', T.UINT32, eos],
    ['tokenizer.ggml.eos_token_id', T.UINT32, eos],
    ['tokenizer.ggml.add_bos_token', T.BOOL, true],
  ];
}

function writeValue(w, type, value) {
  switch (type) {
    case T.UINT32:
      return w.u32(value);
    case T.INT32:
      return w.i32(value);
    case T.FLOAT32:
      return w.f32(value);
    case T.BOOL:
      return w.push(Buffer.from([value ? 1 : 0]));
    case T.STRING:
      return w.str(value);
    case T.ARRAY:
      w.u32(value.type);
      w.u64(value.values.length);
      for (const v of value.values) writeValue(w, value.type, v);
      return undefined;
    default:
      throw new Error(`unknown GGUF type ${type}`);
  }
}

/** The tensors: [name, dims (ne0 first), values]. */
function tensors(vocab, printable) {
  const random = mulberry32(SEED);
  const uniform = (n, scale) => Float32Array.from({ length: n }, () => (random() * 2 - 1) * scale);
  const ones = (n) => new Float32Array(n).fill(1);
  // Writes nothing to residual dimension 0 (rows of output 0 are zero).
  const sparingDim0 = (inDim, outDim, scale) => {
    const m = uniform(inDim * outDim, scale);
    m.fill(0, 0, inDim);
    return m;
  };
  const embd = uniform(DIMS * vocab.length, 0.5);
  for (let t = 0; t < vocab.length; t += 1) embd[t * DIMS] = 4;
  const out = uniform(DIMS * vocab.length, 0.5);
  for (let t = 0; t < vocab.length; t += 1) out[t * DIMS] = printable.has(t) ? 0 : -50;
  /** @type {Array<[string, number[], Float32Array]>} */
  const list = [
    ['token_embd.weight', [DIMS, vocab.length], embd],
    ['output_norm.weight', [DIMS], ones(DIMS)],
    ['output.weight', [DIMS, vocab.length], out],
  ];
  for (let b = 0; b < BLOCKS; b += 1) {
    list.push(
      [`blk.${b}.attn_norm.weight`, [DIMS], ones(DIMS)],
      [`blk.${b}.attn_q.weight`, [DIMS, DIMS], uniform(DIMS * DIMS, 0.3)],
      [`blk.${b}.attn_k.weight`, [DIMS, DIMS], uniform(DIMS * DIMS, 0.3)],
      [`blk.${b}.attn_v.weight`, [DIMS, DIMS], uniform(DIMS * DIMS, 0.3)],
      [`blk.${b}.attn_output.weight`, [DIMS, DIMS], sparingDim0(DIMS, DIMS, 0.3)],
      [`blk.${b}.ffn_norm.weight`, [DIMS], ones(DIMS)],
      [`blk.${b}.ffn_gate.weight`, [DIMS, FF], uniform(DIMS * FF, 0.3)],
      [`blk.${b}.ffn_up.weight`, [DIMS, FF], uniform(DIMS * FF, 0.3)],
      [`blk.${b}.ffn_down.weight`, [FF, DIMS], sparingDim0(FF, DIMS, 0.3)],
    );
  }
  return list;
}

/**
 * The GGUF bytes; `omit` leaves out one metadata key (a broken file for tests).
 * @param {{ omit?: string }} [options]
 */
export function testModelBytes({ omit } = {}) {
  const bytes = byteTokens();
  const vocab = [...bytes, '<|endoftext|>'];
  const printable = new Set();
  for (let b = 0x20; b <= 0x7e; b += 1) printable.add(b);
  const kv = metadata(vocab).filter(([key]) => key !== omit);
  const list = tensors(vocab, printable);

  const w = new Writer();
  w.push(Buffer.from('GGUF', 'ascii'));
  w.u32(3);
  w.u64(list.length);
  w.u64(kv.length);
  for (const [key, type, value] of kv) {
    w.str(key);
    w.u32(type);
    writeValue(w, type, value);
  }
  let offset = 0;
  for (const [name, dims, values] of list) {
    w.str(name);
    w.u32(dims.length);
    for (const d of dims) w.u64(d);
    w.u32(0); // F32
    w.u64(offset);
    offset += values.byteLength;
    offset = Math.ceil(offset / ALIGNMENT) * ALIGNMENT;
  }
  w.pad(ALIGNMENT);
  for (const [, , values] of list) {
    w.push(Buffer.from(values.buffer, values.byteOffset, values.byteLength));
    w.pad(ALIGNMENT);
  }
  return Buffer.concat(w.parts);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const out = args.find((a, i) => !a.startsWith('--') && args[i - 1] !== '--omit');
  const omitAt = args.indexOf('--omit');
  if (out === undefined) {
    process.stderr.write('usage: node scripts/make-test-model.mjs <out.gguf> [--omit <metadata key>]\n');
    process.exit(1);
  }
  const bytes = testModelBytes(omitAt === -1 ? {} : { omit: args[omitAt + 1] });
  writeFileSync(out, bytes);
  process.stdout.write(`${out}: ${bytes.length} bytes\n`);
}
