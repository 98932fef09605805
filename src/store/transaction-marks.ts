import type { Db } from './database.js';

/**
 * Where a connection stands between transactions, so that a writer may remember what it wrote
 * (the audit chain head, the rows a request already wrote) instead of reading it back:
 * `rollbacks` counts every transaction or savepoint rolled back, `boundaries` every outermost
 * transaction that began or ended (committed or rolled back). What was written inside a transaction is
 * still there, unchanged by anyone else, exactly while that transaction is open and neither
 * count has moved (`stillOpen`). Counted by `trackTransactions` (every `db.transaction`) and by
 * the group commit (its BEGIN … COMMIT).
 */
interface Marks {
  rollbacks: number;
  boundaries: number;
}

export interface TransactionPoint {
  readonly rollbacks: number;
  readonly boundaries: number;
  readonly inTransaction: boolean;
}

const marks = new WeakMap<Db, Marks>();

/**
 * Runs every transaction function of `db` through `around` (all variants: deferred, immediate,
 * exclusive). `run` is the transaction as made (a savepoint inside an open transaction); `bare`
 * is the function it was made from, called with the same arguments and no transaction of its
 * own, for a wrapper that has opened the transaction itself.
 */
export function aroundTransactions(db: Db, around: <R>(run: () => R, bare: () => R) => R): void {
  const original = db.transaction.bind(db);
  const transaction = <A extends unknown[], R>(fn: (...args: A) => R) => {
    const inner = original(fn);
    const wrap =
      (run: (...args: A) => R) =>
      (...args: A): R =>
        around(
          () => run(...args),
          () => fn(...args),
        );
    const joined = wrap((...args: A) => inner(...args));
    return Object.assign(joined, {
      default: joined,
      deferred: wrap((...args: A) => inner.deferred(...args)),
      immediate: wrap((...args: A) => inner.immediate(...args)),
      exclusive: wrap((...args: A) => inner.exclusive(...args)),
    });
  };
  db.transaction = transaction as Db['transaction'];
}

/** Starts counting the transactions of `db` (once per connection; later calls do nothing). */
export function trackTransactions(db: Db): void {
  if (marks.has(db)) return;
  const counts: Marks = { rollbacks: 0, boundaries: 0 };
  marks.set(db, counts);
  aroundTransactions(db, (run) => {
    if (!db.inTransaction) counts.boundaries += 1;
    let result;
    try {
      result = run();
    } catch (error) {
      // better-sqlite3 rolled the savepoint or the transaction back before rethrowing.
      counts.rollbacks += 1;
      if (!db.inTransaction) counts.boundaries += 1;
      throw error;
    }
    if (!db.inTransaction) counts.boundaries += 1;
    return result;
  });
}

/** A transaction of `db` began or ended outside `db.transaction` (the group commit's BEGIN, COMMIT, ROLLBACK). */
export function noteTransactionBoundary(db: Db, rolledBack = false): void {
  const counts = marks.get(db);
  if (counts === undefined) return;
  counts.boundaries += 1;
  if (rolledBack) counts.rollbacks += 1;
}

/** Where `db` stands now; null when its transactions are not tracked. */
export function transactionPoint(db: Db): TransactionPoint | null {
  const counts = marks.get(db);
  return counts === undefined ? null : { rollbacks: counts.rollbacks, boundaries: counts.boundaries, inTransaction: db.inTransaction };
}

/**
 * Whether what was written at `point` is certainly still there: written inside the transaction
 * that is still open, with nothing rolled back since (a rollback that SQLite made by itself
 * leaves no transaction open, which fails this test too).
 */
export function stillOpen(db: Db, point: TransactionPoint | null): boolean {
  if (point === null || !point.inTransaction || !db.inTransaction) return false;
  const counts = marks.get(db);
  return counts !== undefined && counts.rollbacks === point.rollbacks && counts.boundaries === point.boundaries;
}
