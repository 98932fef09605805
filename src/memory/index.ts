/** Memory: tiers, the local embedder, the record store, search index, retention and the memory service. Other folders import only this file. */
export {
  LocalEmbedder,
  LOCAL_EMBEDDING_DIMS,
  LOCAL_EMBEDDER_ID,
  tokenize,
  normalize,
  cosine,
  embeddingToBlob,
  blobToEmbedding,
  type Embedder,
} from './embedder.js';
export { MemoryLookups, type MemoryRow } from './lookups.js';
export { MemoryRecords, type MemoryRecord } from './records.js';
export {
  parseRetentionConfig,
  retentionFromTable,
  RetentionTableSchema,
  loadRetentionPolicy,
  DEFAULT_RETENTION,
  type RetentionPolicy,
  type TierRetention,
} from './retention.js';
export { MemoryIndex, Segment, quantize, sparseQuery, topK, round6, type VectorHit } from './search-index.js';
export { HybridSearch, VECTOR_WEIGHT, LEXICAL_WEIGHT, CANDIDATES, type HybridHit, type SearchMode } from './hybrid-search.js';
export { LexicalIndex, matchExpression } from './lexical.js';
export { LexicalThread, MAX_FAILURES as LEXICAL_WORKER_MAX_FAILURES, type LexicalSource } from './lexical-thread.js';
export { localMemoryEmbedder, type MemoryEmbedder } from './memory-embedder.js';
export { chunkText, CHUNK_CHARS, CHUNK_OVERLAP } from './chunker.js';
export {
  MemoryService,
  memoryCredits,
  idsSha256,
  MAX_MEMORY_TEXT_BYTES,
  MEMORY_BYTES_PER_CREDIT,
  DEFAULT_MEMORY_LIMIT,
  RETENTION_INTERVAL_MS,
  type MemoryServiceDeps,
  type PreparedAnswer,
} from './service.js';
