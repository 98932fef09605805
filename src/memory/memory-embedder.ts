/**
 * The embedder seam of the memory service (SPEC 3 and 16). The service embeds record texts and
 * queries through this interface only: the deterministic local embedder by default, a model
 * provider's embeddings when `[model] embed_model` is set (the provider supplies an object of
 * this shape). `id` is recorded with every stored embedding (`metadata.embedder`); `dims` is the
 * length of every vector it returns, and the search index is built for that length.
 */
import { LocalEmbedder } from './embedder.js';

export interface MemoryEmbedder {
  readonly id: string;
  readonly dims: number;
  /** One L2-normalised vector per text, in order. */
  embed(texts: readonly string[]): Promise<Float32Array[]>;
  /**
   * The same vector, synchronously, for writers that run inside a transaction (a dispatched
   * intent's answer). Absent for remote providers: such records are then stored without an
   * embedding and found by their words (BM25) only.
   */
  embedNow?(text: string): Float32Array;
}

/** The default: the local hashing embedder behind the seam. */
export function localMemoryEmbedder(local: LocalEmbedder = new LocalEmbedder()): MemoryEmbedder {
  return {
    id: local.id,
    dims: local.dims,
    embed: (texts) => Promise.resolve(texts.map((text) => local.embed(text))),
    embedNow: (text) => local.embed(text),
  };
}
