/**
 * BM25 in a worker thread (docs/memory.md "Search and the index"): memory search sends its FTS5
 * query to lexical-worker.ts, which answers it from its in-memory BM25 index (bm25-index.ts) or
 * runs it on its own read-only connection to covenant.db (the same answer), and scans the
 * vectors on the main thread meanwhile; a search then costs about the longer of the two instead
 * of their sum.
 *
 * - What the worker sees: the last committed snapshot when its query starts, which is after the
 *   search began, so a write committed before a search is seen by it. A write still inside an
 *   open transaction of the daemon's connection (a group commit not yet committed, or the
 *   caller's own transaction) is visible only to that connection: while one is open, the query
 *   runs on the main thread as before. An in-memory database has no second connection: same.
 * - Lifetime: started at the first search, closed with the memory service. Until it has opened
 *   its connection, queries run on the main thread: no search waits for a worker to start. Once
 *   started, it is unref'd while no query is pending (it never keeps a process alive), and it
 *   waits on its port when idle (no CPU). A worker that dies or fails a query leaves that query
 *   to the main thread, so the search still answers (or fails with the main connection's own
 *   error); the next search starts a new worker. A worker that does not answer within
 *   QUERY_TIMEOUT_MS is treated as dead. After MAX_FAILURES failures with no answer between them
 *   the worker is not started again: every query then runs on the main thread.
 */
import { Worker } from 'node:worker_threads';
import type { MemoryTier } from '../protocol/index.js';
import type { Db } from '../store/index.js';
import { LexicalIndex, type LexicalHit } from './lexical.js';

export const MAX_FAILURES = 3;
/** A worker that has not answered a query by then is stopped (and the query run on the main thread) rather than waited for. */
export const QUERY_TIMEOUT_MS = 30_000;

export interface LexicalRequest {
  id: number;
  match: string;
  k: number;
  /** null: `best` over every record; else `bestOf` this owner's records in `tiers`. */
  owner: string | null;
  tiers: readonly MemoryTier[];
}

/** The memory service's own committed deletes, so the worker's BM25 index marks them instead of being rebuilt. */
export interface DeleteNotice {
  deleted: number[];
  epochBefore: number;
  epochAfter: number;
}

export type LexicalMessage = LexicalRequest | DeleteNotice;

/** Where the worker's in-memory BM25 index stands (bm25-index.ts): FTS5 answers unless it is 'ready'. */
export type IndexStatus = { index: 'building' } | { index: 'ready'; records: number; bytes: number; ms: number } | { index: 'unavailable'; reason: string };

/**
 * The worker's first message says its connection is open; then one reply per request (`indexed`:
 * answered by the in-memory index rather than FTS5), and its index's status when it changes.
 */
export type LexicalReply = { ready: true } | { id: number; hits: LexicalHit[]; indexed: boolean } | { id: number; error: string } | IndexStatus;

/** What hybrid search asks of its lexical half (LexicalIndex's two queries, answered asynchronously). */
export interface LexicalSource {
  best(match: string, k: number): Promise<LexicalHit[]>;
  bestOf(match: string, owner: string, tiers: readonly MemoryTier[], k: number): Promise<LexicalHit[]>;
}

interface Pending {
  request: LexicalRequest;
  timer: NodeJS.Timeout;
  resolve(hits: LexicalHit[]): void;
  reject(error: unknown): void;
}

interface WarnLog {
  warn(obj: object, msg: string): void;
}

const DEFAULT_ENTRY = new URL(import.meta.url.endsWith('.ts') ? './lexical-worker.ts' : './lexical-worker.js', import.meta.url);

function spawn(entry: URL, path: string): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, { workerData: { path } });
  // Under tsx (tests, the bench) a worker thread does not inherit the loader: it registers it first.
  const tsx = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  const code = `import(${tsx}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); })`;
  return new Worker(code, { eval: true, workerData: { path } });
}

export class LexicalThread implements LexicalSource {
  private readonly local: LexicalIndex;
  private worker: Worker | null = null;
  /** The worker has opened its connection (until then queries run on the main thread). */
  private ready = false;
  private readyWaiters: Array<(ready: boolean) => void> = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failuresInARow = 0;
  private closed = false;
  /** Workers started, queries answered by a worker, queries run on the main thread, worker failures (tests, the bench). */
  readonly counts = { starts: 0, answered: 0, local: 0, failures: 0 };
  /** Worker answers by where they came from: the in-memory BM25 index, or FTS5 (tests, the bench). */
  readonly sources = { index: 0, fts5: 0 };
  /** The last status of the worker's BM25 index; null: no worker has reported one. */
  indexStatus: IndexStatus | null = null;
  private indexWaiters: Array<(status: IndexStatus | null) => void> = [];

  constructor(
    private readonly db: Db,
    private readonly options: { log?: WarnLog | undefined; entry?: URL } = {},
  ) {
    this.local = new LexicalIndex(db);
  }

  /** Whether a worker thread is running now. */
  get running(): boolean {
    return this.worker !== null;
  }

  /** Starts the worker if none runs; resolves true once it takes queries, false when it cannot (closed, given up on, died starting). */
  whenReady(): Promise<boolean> {
    if (this.started() === null) return Promise.resolve(false);
    if (this.ready) return Promise.resolve(true);
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  best(match: string, k: number): Promise<LexicalHit[]> {
    return this.run({ id: 0, match, k, owner: null, tiers: [] });
  }

  bestOf(match: string, owner: string, tiers: readonly MemoryTier[], k: number): Promise<LexicalHit[]> {
    return this.run({ id: 0, match, k, owner, tiers });
  }

  /**
   * Starts the worker if none runs; resolves with its index's status once a build has finished
   * ('ready' or 'unavailable'), null when there is no worker (tests, the bench).
   */
  async whenIndexed(): Promise<IndexStatus | null> {
    if (!(await this.whenReady())) return null;
    if (this.indexStatus !== null && this.indexStatus.index !== 'building') return this.indexStatus;
    this.worker!.ref(); // a caller waits for it
    return new Promise((resolve) => this.indexWaiters.push(resolve));
  }

  /** Tells the worker about the memory service's own committed deletes (else its index is rebuilt when it sees the epoch move). */
  deleted(rowids: readonly number[], epochBefore: number, epochAfter: number): void {
    // Inside an open transaction the deletes are not committed yet: the worker will see the epoch move and rebuild.
    if (this.worker === null || !this.ready || rowids.length === 0 || this.db.inTransaction) return;
    this.worker.postMessage({ deleted: [...rowids], epochBefore, epochAfter } satisfies DeleteNotice);
  }

  /** Stops the worker (a pending query finishes on the main thread); later queries run on the main thread. */
  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.stopped();
    this.settleLocally();
    if (worker !== null) await worker.terminate();
  }

  private run(request: LexicalRequest): Promise<LexicalHit[]> {
    // A worker still starting is not waited for.
    const worker = this.db.inTransaction || this.db.memory ? null : this.started();
    if (worker === null || !this.ready) return new Promise((resolve) => resolve(this.runLocally(request)));
    request.id = this.nextId++;
    return new Promise<LexicalHit[]>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      const timer = setTimeout(() => this.fail(worker, `no answer in ${QUERY_TIMEOUT_MS / 1000} s`), QUERY_TIMEOUT_MS);
      timer.unref();
      this.pending.set(request.id, { request, timer, resolve, reject });
      worker.postMessage(request);
    });
  }

  private runLocally(request: LexicalRequest): LexicalHit[] {
    this.counts.local += 1;
    return request.owner === null ? this.local.best(request.match, request.k) : this.local.bestOf(request.match, request.owner, request.tiers, request.k);
  }

  /** The running worker, or a new one; null when closed or given up on. */
  private started(): Worker | null {
    if (this.worker !== null) return this.worker;
    if (this.closed || this.failuresInARow >= MAX_FAILURES) return null;
    const worker = spawn(this.options.entry ?? DEFAULT_ENTRY, this.db.name);
    this.counts.starts += 1;
    worker.on('message', (reply: LexicalReply) => {
      if ('ready' in reply) this.becameReady(worker);
      else if ('index' in reply) this.indexed(worker, reply);
      else this.answer(worker, reply);
    });
    worker.on('error', (error) => this.fail(worker, error.message));
    worker.on('exit', (code) => this.fail(worker, `exited with code ${code}`));
    this.worker = worker;
    return worker;
  }

  private becameReady(worker: Worker): void {
    if (this.worker !== worker) return;
    this.ready = true;
    if (this.pending.size === 0) worker.unref();
    this.wake(true);
  }

  private indexed(worker: Worker, status: IndexStatus): void {
    if (this.worker !== worker) return;
    this.indexStatus = status;
    if (status.index === 'building') return;
    if (this.pending.size === 0) worker.unref();
    const waiters = this.indexWaiters;
    this.indexWaiters = [];
    for (const waiter of waiters) waiter(status);
  }

  private wake(ready: boolean): void {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const waiter of waiters) waiter(ready);
  }

  /** Forgets the current worker (it is gone or being terminated). */
  private stopped(): void {
    this.worker = null;
    this.ready = false;
    this.indexStatus = null;
    this.wake(false);
    const waiters = this.indexWaiters;
    this.indexWaiters = [];
    for (const waiter of waiters) waiter(null);
  }

  private answer(worker: Worker, reply: Exclude<LexicalReply, { ready: true } | IndexStatus>): void {
    const pending = this.pending.get(reply.id);
    if (pending === undefined) return;
    this.pending.delete(reply.id);
    clearTimeout(pending.timer);
    if (this.pending.size === 0 && this.worker === worker) worker.unref();
    if ('error' in reply) {
      // The main connection runs it again: its error (or answer) is the one the caller gets.
      this.counts.failures += 1;
      this.settle(pending);
      return;
    }
    this.failuresInARow = 0;
    this.counts.answered += 1;
    this.sources[reply.indexed ? 'index' : 'fts5'] += 1;
    pending.resolve(reply.hits);
  }

  private fail(worker: Worker, reason: string): void {
    if (this.worker !== worker) return; // closed, or already replaced
    this.stopped();
    this.counts.failures += 1;
    this.failuresInARow += 1;
    const givenUp = this.failuresInARow >= MAX_FAILURES;
    this.options.log?.warn(
      { reason, pending: this.pending.size },
      givenUp ? 'the memory search BM25 worker failed again; BM25 runs on the main thread from now on' : 'the memory search BM25 worker stopped; its queries run on the main thread',
    );
    void worker.terminate();
    this.settleLocally();
  }

  private settleLocally(): void {
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const entry of pending) this.settle(entry);
  }

  private settle(entry: Pending): void {
    clearTimeout(entry.timer);
    try {
      entry.resolve(this.runLocally(entry.request));
    } catch (error) {
      entry.reject(error);
    }
  }
}
