import type { Db } from './database.js';
import { aroundTransactions, noteTransactionBoundary } from './transaction-marks.js';

interface Group {
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Group commit (docs/performance.md, "Group commit"): every transaction a request opens during
 * one event-loop turn joins one SQLite transaction (the first runs in it, each later one in a
 * savepoint of it), committed once at the end of the turn (`setImmediate`), so concurrent
 * requests share one fsync. Work outside requests (start-up, shutdown, timers) commits by
 * itself, at once, as before. Durability is unchanged (`synchronous = FULL`): a request is
 * answered only after `durable()`, which resolves once everything written before it is
 * committed. Disabled, every transaction commits by itself and `durable()` resolves at once.
 */
export class GroupCommit {
  private group: Group | null = null;
  private readonly settled = Promise.resolve();

  constructor(
    private readonly db: Db,
    readonly enabled: boolean,
    /** Whether a request is being served (only requests wait for `durable()` before answering). */
    private readonly inRequest: () => boolean,
  ) {
    if (enabled) aroundTransactions(db, (run, bare) => (this.join() ? this.runFirst(bare) : run()));
  }

  /** Whether everything written so far is committed (no group open): an answer need not wait for `durable()`. */
  get settledNow(): boolean {
    return this.group === null;
  }

  /** Resolves when everything written so far is committed; rejects when its group failed to commit. */
  durable(): Promise<void> {
    if (this.group !== null && !this.db.inTransaction) this.fail(new Error('the group transaction was rolled back by SQLite'));
    return this.group?.done ?? this.settled;
  }

  /** Commits the open group now (shutdown, before the database is closed). */
  commitNow(): void {
    this.commit();
  }

  /**
   * Opens this turn's group for a request's transaction, unless a transaction is already open;
   * true when it opened one.
   */
  private join(): boolean {
    if (this.db.inTransaction || !this.inRequest()) return false;
    // An open group whose transaction is gone: SQLite rolled it back (a full disk, an I/O error).
    if (this.group !== null) this.fail(new Error('the group transaction was rolled back by SQLite'));
    this.db.exec('BEGIN IMMEDIATE');
    noteTransactionBoundary(this.db);
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    // A group nobody waits for (start-up, timers) must not become an unhandled rejection.
    done.catch(() => undefined);
    this.group = { done, resolve, reject };
    setImmediate(() => this.commit());
    return true;
  }

  /**
   * The transaction that opened the group runs in the group's transaction itself, not in a
   * savepoint of it: nothing else is in the group yet, so when it fails, rolling the whole
   * transaction back loses no other write. A savepoint would make SQLite copy every page it
   * changes into its sub-journal first (docs/performance.md, "Group commit"); the transactions
   * that join later keep theirs, so that each rolls back alone. As better-sqlite3's own
   * transactions, a function that returns a promise is refused and its writes rolled back.
   */
  private runFirst<R>(bare: () => R): R {
    try {
      const result = bare();
      if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
        throw new TypeError('Transaction function cannot return a promise');
      }
      return result;
    } catch (error) {
      this.abandon(error);
      throw error;
    }
  }

  /** Rolls back the group its first transaction failed in (nothing else was in it). */
  private abandon(error: unknown): void {
    if (this.db.inTransaction) this.db.exec('ROLLBACK');
    this.fail(error);
  }

  private commit(): void {
    const group = this.group;
    if (group === null) return;
    if (!this.db.inTransaction) {
      this.fail(new Error('the group transaction was rolled back by SQLite'));
      return;
    }
    this.group = null;
    try {
      this.db.exec('COMMIT');
      noteTransactionBoundary(this.db);
      group.resolve();
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      noteTransactionBoundary(this.db, true);
      group.reject(error);
    }
  }

  private fail(error: unknown): void {
    const group = this.group;
    this.group = null;
    noteTransactionBoundary(this.db, true);
    group?.reject(error);
  }
}
