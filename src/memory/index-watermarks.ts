import { statement, type Db } from '../store/index.js';

/**
 * What an index of the memory records checks itself against: `memory_index_epoch` (moved by
 * deletes and by changes of id, owner, tier or embedding) and the highest rowid (records added).
 * The vector index (search-index.ts) and the BM25 index (bm25-sync.ts) read them alike.
 */
export function readEpoch(db: Db): number {
  return (statement(db, 'SELECT epoch FROM memory_index_epoch WHERE id = 1').get() as { epoch: number } | undefined)?.epoch ?? 0;
}

export function readMaxRowid(db: Db): number {
  return (statement(db, 'SELECT coalesce(max(rowid), 0) AS m FROM memory_records').get() as { m: number }).m;
}
