import type { Db } from './database.js';

interface Runner {
  /** The `db.transaction` the runner was made with. */
  made: Db['transaction'];
  run: (fn: () => unknown) => unknown;
}

const runners = new WeakMap<Db, Runner>();

/**
 * Runs `fn` in a transaction of `db` (a savepoint inside an open one), as `db.transaction(fn)()`
 * does, without making a transaction function for each call: better-sqlite3 builds four wrapped
 * functions for every `db.transaction(fn)`, and the daemon's wrappers (transaction-marks.ts,
 * group-commit.ts) wrap each again, about 9 µs a call against about 1 µs for calling one made
 * before (docs/performance.md, "Group commit"). One transaction function per connection runs
 * every `fn`; it is made again whenever `db.transaction` was replaced since (a wrapper installed
 * later), so it always runs through every wrapper.
 */
export function transact<R>(db: Db, fn: () => R): R {
  let runner = runners.get(db);
  if (runner === undefined || runner.made !== db.transaction) {
    // eslint-disable-next-line @typescript-eslint/unbound-method -- kept to be compared as an identity, never called
    runner = { made: db.transaction, run: db.transaction((inner: () => unknown) => inner()) };
    runners.set(db, runner);
  }
  return runner.run(fn) as R;
}
