import { transactionPoint, watchTable, type Db, type TransactionPoint } from '../store/index.js';
import type { CapabilityRecord } from './capability.js';

/** Past this many remembered lookups the memory starts again. */
const LOOKUPS_LIMIT = 1024;

interface Lookup {
  records: readonly CapabilityRecord[];
  writes: number;
}

/**
 * The unrevoked capabilities of one (subject, action), as every checked request looks them up,
 * remembered until anything could have changed the answer (docs/performance.md, "Group
 * commit"): any write of a `capabilities` row on this connection, whatever made it (watchTable).
 * While the transaction of the last write may still be open, or was rolled back by SQLite itself
 * and not yet noticed (transaction-marks.ts: its outermost transaction has not ended), nothing is
 * recalled or remembered: what is remembered was read once that transaction had ended, committed
 * or rolled back, so it is what the table holds. Expiry is the caller's to check, against the
 * clock. On a connection whose transactions are not counted (`trackTransactions`), nothing is
 * remembered.
 */
export class LiveLookups {
  private readonly lookups = new Map<string, Lookup>();
  private writes = 0;
  private lastWrite: TransactionPoint | null = null;

  /** Outside any transaction, once the table exists (watchTable). */
  constructor(private readonly db: Db) {
    watchTable(db, 'capabilities', () => {
      this.writes += 1;
      this.lastWrite = transactionPoint(db);
    });
  }

  /** The records remembered for `key` while they still hold; else what `read` gives, remembered when it may be. */
  answer(key: string, read: () => CapabilityRecord[]): readonly CapabilityRecord[] {
    const mayRecall = this.mayRecall();
    const known = mayRecall ? this.lookups.get(key) : undefined;
    if (known !== undefined && known.writes === this.writes) return known.records;
    const records = Object.freeze(read());
    if (mayRecall) {
      if (this.lookups.size >= LOOKUPS_LIMIT) this.lookups.clear();
      this.lookups.set(key, { records, writes: this.writes });
    }
    return records;
  }

  private mayRecall(): boolean {
    const point = transactionPoint(this.db);
    if (point === null) return false;
    const write = this.lastWrite;
    return write === null || !write.inTransaction || write.boundaries !== point.boundaries;
  }
}
