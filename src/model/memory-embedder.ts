/**
 * The model provider as memory's embedder (SPEC 3 and 16, docs/local-model.md "Memory
 * embeddings"): when `[model] embed_model` is set, record texts and queries are embedded by the
 * provider (`model.embed`) instead of the local hashing embedder. Its id names the provider and
 * the model, so memory can tell whose vectors it holds; its dimension is known after its first
 * answer (0 before: the search index then holds no vectors and search is by words only).
 */
import { CovenantError } from '../core/index.js';
import { normalize, type MemoryEmbedder } from '../memory/index.js';
import type { ModelService } from './model-service.js';

/** Inputs per provider request (an import embeds many chunks). */
const BATCH = 64;

export function modelMemoryEmbedder(model: ModelService, id: string, knownDims = 0): MemoryEmbedder {
  let dims = knownDims;
  return {
    id,
    get dims() {
      return dims;
    },
    async embed(texts) {
      const { provider } = model.get();
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const answer = await provider.embed([...texts.slice(i, i + BATCH)], new AbortController().signal);
        for (const values of answer.vectors) {
          if (values.length === 0 || (out.length > 0 && values.length !== out[0]!.length)) {
            throw new CovenantError('E_MODEL_FAILED', `the embedder ${id} answered vectors of differing lengths`);
          }
          out.push(normalize(Float32Array.from(values)));
        }
      }
      if (out.length > 0) dims = out[0]!.length;
      return out;
    },
  };
}
