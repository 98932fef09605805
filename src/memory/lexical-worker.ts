/**
 * The BM25 worker thread of memory search (lexical-thread.ts starts it), one request at a time,
 * so the main thread scans the vectors meanwhile. It answers from an in-memory BM25 index
 * (bm25-index.ts) when that index is exactly FTS5's state at the query's snapshot, else with
 * LexicalIndex's FTS5 queries on its own read-only connection to covenant.db: the same rows and
 * scores either way (docs/memory.md "The BM25 index").
 *
 * The index is built after the worker says it is ready, on a second connection, in slices of
 * BUILD_SLICE_MS between queries (FTS5 answers until it is done), and rebuilt the same way when
 * a query finds it stale.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openReader } from '../store/index.js';
import type { Bm25Index } from './bm25-index.js';
import { buildBm25, Fts5Twin, matchTerms, readTotals, refreshBm25 } from './bm25-sync.js';
import { readEpoch } from './index-watermarks.js';
import { LexicalIndex, type LexicalHit } from './lexical.js';
import type { LexicalMessage, LexicalReply, LexicalRequest } from './lexical-thread.js';

/** A build runs this long before letting waiting queries in. */
const BUILD_SLICE_MS = 10;

const port = parentPort!;
const path = (workerData as { path: string }).path;
const reader = openReader(path);
const lexical = new LexicalIndex(reader);
const twin = new Fts5Twin();
let index: Bm25Index | null = null;
let building = false;
/** The epoch at which a build found the index cannot be exact: not retried until the epoch moves. */
let unbuildableEpoch: number | null = null;

function build(): void {
  if (building) return;
  building = true;
  const db = openReader(path);
  const steps = buildBm25(db);
  const started = performance.now();
  port.postMessage({ index: 'building' } satisfies LexicalReply);
  const finish = (built: Bm25Index | null, error?: unknown) => {
    building = false;
    db.close();
    index = built;
    if (built === null) unbuildableEpoch = readEpoch(reader);
    port.postMessage(
      built === null
        ? ({ index: 'unavailable', reason: error instanceof Error ? error.message : 'FTS5 and the records disagree, or the rowids are too sparse' } satisfies LexicalReply)
        : ({ index: 'ready', records: built.records, bytes: built.bytes(), ms: performance.now() - started } satisfies LexicalReply),
    );
  };
  const slice = () => {
    const until = performance.now() + BUILD_SLICE_MS;
    try {
      for (;;) {
        const step = steps.next();
        if (step.done === true) return finish(step.value);
        if (performance.now() >= until) break;
      }
    } catch (error) {
      return finish(null, error);
    }
    setImmediate(slice);
  };
  setImmediate(slice);
}

/** From the index when it is current at this snapshot (bringing it up to date first), else null. */
function fromIndex(request: LexicalRequest): LexicalHit[] | null {
  if (index === null) return null;
  const totals = readTotals(reader);
  if (!refreshBm25(index, reader, twin, totals)) {
    index = null;
    build();
    return null;
  }
  const terms = matchTerms(request.match, twin);
  return terms === null ? null : index.best(terms, totals, twin.ln, request.k, request.owner, request.tiers);
}

function answer(request: LexicalRequest): LexicalReply {
  // One snapshot for the freshness checks and the answer.
  reader.exec('BEGIN');
  try {
    let hits: LexicalHit[] | null = null;
    try {
      hits = fromIndex(request);
    } catch {
      index = null; // a bug or a corrupt FTS5 table: FTS5 answers (or fails) below
    }
    if (hits !== null) return { id: request.id, hits, indexed: true };
    if (index === null && !building && unbuildableEpoch !== readEpoch(reader)) build();
    hits = request.owner === null ? lexical.best(request.match, request.k) : lexical.bestOf(request.match, request.owner, request.tiers, request.k);
    return { id: request.id, hits, indexed: false };
  } finally {
    reader.exec('COMMIT');
  }
}

/** The memory service's own deletes (purge, retention), told by the main thread once committed: marked dead instead of a rebuild. */
function applyDeletes(rowids: readonly number[], epochBefore: number, epochAfter: number): void {
  if (index === null || index.epoch !== epochBefore || epochAfter !== epochBefore + rowids.length) return; // the next query finds it stale
  if (index.remove(rowids)) index.epoch = epochAfter;
  else index = null;
}

port.on('message', (message: LexicalMessage) => {
  if ('deleted' in message) return applyDeletes(message.deleted, message.epochBefore, message.epochAfter);
  let reply: LexicalReply;
  try {
    reply = answer(message);
  } catch (error) {
    reply = { id: message.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies LexicalReply);
build();
