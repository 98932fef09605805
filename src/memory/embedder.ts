/**
 * The deterministic local embedder (SPEC 3 and 16): no network, no model, same vector for the
 * same text on every machine.
 *
 * Feature hashing: the text is lowercased and split into words (runs of Unicode letters and
 * digits); every word unigram (`u:<word>`) and every adjacent word bigram (`b:<w1> <w2>`) is
 * hashed with SHA-256. The first four bytes of the digest (big-endian, modulo the dimension)
 * pick the index, the lowest bit of the fifth byte picks the sign (+1 or -1), and the feature
 * adds its sign there. The vector is then L2-normalised, so the cosine of two vectors is their
 * dot product. An empty text embeds to the zero vector, whose cosine with anything is 0.
 *
 * The router uses it to compare intents with agent cards; memory search uses it to rank
 * records. Changing anything here changes every stored embedding, so it is versioned
 * (`LOCAL_EMBEDDER_ID`).
 */
import { createHash } from 'node:crypto';

export const LOCAL_EMBEDDING_DIMS = 256;
/** Recorded with stored embeddings so a future embedder change can be detected. */
export const LOCAL_EMBEDDER_ID = 'local-hash-v1-256';

export interface Embedder {
  readonly id: string;
  readonly dims: number;
  embed(text: string): Float32Array;
}

/** Lowercased words: maximal runs of Unicode letters and digits. */
export function tokenize(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Features whose slot is remembered (a SHA-256 per feature is most of the cost of embedding). */
const FEATURE_CACHE_SIZE = 100_000;

export class LocalEmbedder implements Embedder {
  readonly id = LOCAL_EMBEDDER_ID;
  readonly dims = LOCAL_EMBEDDING_DIMS;
  /** feature → sign · (index + 1); cleared when full. */
  private readonly slots = new Map<string, number>();

  /** The signed slot of one feature: sign · (index + 1). */
  private slot(feature: string): number {
    let slot = this.slots.get(feature);
    if (slot === undefined) {
      const digest = createHash('sha256').update(feature, 'utf8').digest();
      const index = digest.readUInt32BE(0) % this.dims;
      slot = ((digest[4] as number) & 1) === 1 ? -(index + 1) : index + 1;
      if (this.slots.size >= FEATURE_CACHE_SIZE) this.slots.clear();
      this.slots.set(feature, slot);
    }
    return slot;
  }

  embed(text: string): Float32Array {
    const vector = new Float32Array(this.dims);
    const words = tokenize(text);
    const add = (feature: string) => {
      const slot = this.slot(feature);
      const index = Math.abs(slot) - 1;
      vector[index] = (vector[index] as number) + Math.sign(slot);
    };
    for (let i = 0; i < words.length; i += 1) {
      add(`u:${words[i]}`);
      if (i + 1 < words.length) add(`b:${words[i]} ${words[i + 1]}`);
    }
    return normalize(vector);
  }
}

/** Scales a vector to unit length in place (the zero vector is returned unchanged). */
export function normalize(vector: Float32Array): Float32Array {
  let sum = 0;
  for (const v of vector) sum += v * v;
  if (sum === 0) return vector;
  const norm = Math.sqrt(sum);
  for (let i = 0; i < vector.length; i += 1) vector[i] = (vector[i] as number) / norm;
  return vector;
}

/** Cosine similarity in [-1, 1]; 0 when either vector is zero. Vectors must have the same length. */
export function cosine(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new Error(`cosine: vectors differ in length (${a.length} vs ${b.length})`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i += 1) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}

/** A Float32 vector as bytes for a SQLite BLOB (little-endian host order, 4 bytes per value). */
export function embeddingToBlob(vector: Float32Array): Buffer {
  return Buffer.from(vector.buffer, vector.byteOffset, vector.byteLength);
}

/** The inverse of `embeddingToBlob` (copies, so the result is aligned and independent). */
export function blobToEmbedding(blob: Uint8Array): Float32Array {
  if (blob.byteLength % 4 !== 0) throw new Error(`embedding blob of ${blob.byteLength} bytes is not a Float32 array`);
  const copy = new Uint8Array(blob.byteLength);
  copy.set(blob);
  return new Float32Array(copy.buffer);
}
