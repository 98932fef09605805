/**
 * The BM25 worker thread of memory search (lexical-thread.ts starts it): runs LexicalIndex's
 * FTS5 queries on its own read-only connection to covenant.db, one request at a time, so the
 * main thread scans the vectors meanwhile.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openReader } from '../store/index.js';
import { LexicalIndex } from './lexical.js';
import type { LexicalReply, LexicalRequest } from './lexical-thread.js';

const port = parentPort!;
const lexical = new LexicalIndex(openReader((workerData as { path: string }).path));

port.on('message', (request: LexicalRequest) => {
  let reply: LexicalReply;
  try {
    const hits = request.owner === null ? lexical.best(request.match, request.k) : lexical.bestOf(request.match, request.owner, request.tiers, request.k);
    reply = { id: request.id, hits };
  } catch (error) {
    reply = { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
  port.postMessage(reply);
});
port.postMessage({ ready: true } satisfies LexicalReply);
