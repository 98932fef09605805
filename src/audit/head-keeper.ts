import type { Clock } from '../core/index.js';
import type { KeyPair } from '../identity/index.js';
import { statement, type Db } from '../store/index.js';
import { adoptLegacyPurgeCut, readPurgeAnchor } from './anchor.js';
import { headMessage } from './hashing.js';
import { readAuditHead, removeStaleHeadTemps, writeAuditHead } from './head.js';
import { signMark, type SignedMark } from './signed-mark.js';

/** Rows appended are covered by a signed head within this long (checkpoints and shutdown: at once). */
export const HEAD_REFRESH_MS = 1000;

const NEWEST_ROW = 'SELECT seq, chain_hash FROM audit_events ORDER BY seq DESC LIMIT 1';

/**
 * Keeps the signed head file in step with the committed chain. The head is written only after
 * the rows it names are committed, so the database may be ahead of it after a crash, never
 * behind. It only moves forward along the same chain: when the rows it names are gone or
 * rewritten it is left as it is, so `audit verify` keeps reporting the truncation.
 * A failed write (disk full, read-only home) leaves the older head, which stays valid.
 */
export class AuditHeadKeeper {
  private timer: NodeJS.Timeout | null = null;
  private deferred = false;

  constructor(
    private readonly db: Db,
    private readonly keys: KeyPair,
    private readonly clock: Clock,
    private readonly path: string | null,
  ) {}

  /** At start: a home without a head (first start of this version) adopts its purge cut and gets one. */
  open(): void {
    if (this.path === null) return;
    removeStaleHeadTemps(this.path);
    if (readAuditHead(this.path, this.keys.publicKeyB58).state === 'absent') {
      try {
        adoptLegacyPurgeCut(this.db, this.keys, this.clock.now());
      } catch {
        // not adopted: verify reports the missing anchor
      }
    }
    this.refreshAfterCommit();
  }

  /** After a row: the head follows within HEAD_REFRESH_MS. */
  noteAppend(): void {
    if (this.path === null || this.timer !== null) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.refreshAfterCommit();
    }, HEAD_REFRESH_MS);
    this.timer.unref();
  }

  /** Now when no transaction is open, else right after it ends (a rolled-back row is never signed). */
  refreshAfterCommit(): void {
    if (this.path === null || !this.db.open) return;
    if (!this.db.inTransaction) {
      this.refresh(this.path);
      return;
    }
    if (this.deferred) return;
    this.deferred = true;
    setImmediate(() => {
      this.deferred = false;
      if (this.db.open && this.db.inTransaction) this.noteAppend();
      else this.refreshAfterCommit();
    });
  }

  private refresh(path: string): void {
    try {
      const current = readAuditHead(path, this.keys.publicKeyB58);
      // A head that does not verify is evidence: never overwrite it.
      if (current.state === 'invalid') return;
      const newest = statement(this.db, NEWEST_ROW).get() as { seq: number; chain_hash: string } | undefined;
      if (!newest) return;
      if (current.state === 'valid' && !this.extends(current.head, newest)) return;
      writeAuditHead(path, signMark(this.keys, headMessage, newest.seq, newest.chain_hash, this.clock.now()));
    } catch {
      // the older head stays; the rows after it are still covered by the chain
    }
  }

  /** Whether `newest` is a strictly later point of the chain the head signed. */
  private extends(head: SignedMark, newest: { seq: number; chain_hash: string }): boolean {
    if (newest.seq <= head.seq) return false;
    const row = statement(this.db, 'SELECT chain_hash FROM audit_events WHERE seq = ?').get(head.seq) as { chain_hash: string } | undefined;
    if (row) return row.chain_hash === head.chain_hash;
    // Purged past the head: the purge verified the chain up to its signed cut.
    const anchor = readPurgeAnchor(this.db, this.keys.publicKeyB58);
    return anchor.state === 'valid' && anchor.anchor.seq >= head.seq;
  }
}
