/**
 * Which embedder made memory's vectors (docs/local-model.md "Memory embeddings"): one row,
 * `memory_embedder {embedder, dims}` (migration 013), written with the first vector stored.
 * Vectors of two embedders cannot be compared, so while the configured embedder is another one
 * (`[model] embed_model` set or unset after records were embedded) memory takes no vectors from
 * it: search is by words only, with a note saying so and what to do, and new records are stored
 * without a vector. Nothing is rewritten: setting the embedder back restores vector search.
 */
import { statement, type Db } from '../store/index.js';
import { LOCAL_EMBEDDER_ID } from './embedder.js';
import type { MemoryEmbedder } from './memory-embedder.js';

export class EmbedderBinding {
  constructor(
    private readonly db: Db,
    private readonly embedder: MemoryEmbedder,
  ) {}

  /** The embedder of the stored vectors, or null when none is stored yet. */
  recorded(): { embedder: string; dims: number } | null {
    return (statement(this.db, 'SELECT embedder, dims FROM memory_embedder WHERE id = 1').get() as { embedder: string; dims: number } | undefined) ?? null;
  }

  /** Null when the configured embedder's vectors may be used; else why not and what to do. */
  conflict(): string | null {
    const recorded = this.recorded();
    if (recorded === null || recorded.embedder === this.embedder.id) return null;
    const back = recorded.embedder === LOCAL_EMBEDDER_ID ? 'remove embed_model from [model] in config.toml' : `set [model] to the embedder ${recorded.embedder} again`;
    return (
      `memory's vectors were made by the embedder ${recorded.embedder} (${recorded.dims} dimensions), not by the configured ${this.embedder.id}, ` +
      `and the two cannot be compared: search is by words only (BM25) and new records get no vector. ` +
      `To search by similarity again, ${back} and restart covenantd (re-embedding memory with a new embedder is not supported yet)`
    );
  }

  /** Records the embedder with the first vector stored (inside the writer's transaction). */
  bind(dims: number, now: number): void {
    statement(this.db, 'INSERT OR IGNORE INTO memory_embedder (id, embedder, dims, bound_at) VALUES (1, ?, ?, ?)').run(this.embedder.id, dims, now);
  }
}
