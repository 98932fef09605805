import { newId, toBase58, wellFormedJson, type Clock, type PublicRun } from '../core/index.js';
import { signBytes, type AgentId, type KeyPair } from '../identity/index.js';
import { stillOpen, statement, trackTransactions, transact, transactionPoint, type Db, type TransactionPoint } from '../store/index.js';
import { writePurgeAnchor } from './anchor.js';
import { checkAuditEvent, type NewAuditEvent } from './events.js';
import { chainHash, checkpointMessage, eventHash, GENESIS_CHAIN_HASH } from './hashing.js';
import { isRefusalRow, knownPubkeys, redactRefusal } from './refusal-rows.js';
import { auditHeadPath } from './head.js';
import { AuditHeadKeeper } from './head-keeper.js';
import { currentRequestRows, type DeferredRow, type RequestRows } from './request-rows.js';
import type { SignedMark } from './signed-mark.js';

export const CHECKPOINT_EVERY = 1000;

const ROW_EXISTS = 'SELECT 1 FROM audit_events WHERE id = ?';
const NEWEST_ROW = 'SELECT seq, chain_hash FROM audit_events ORDER BY seq DESC LIMIT 1';
const INSERT_ROW = `INSERT INTO audit_events (seq, id, timestamp_ms, issuer_display, issuer_pubkey, kind, payload, event_hash, chain_hash)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`;

export interface AuditEvent {
  seq: number;
  id: string;
  timestamp_ms: number;
  issuer: AgentId;
  kind: string;
  payload: Record<string, unknown>;
  event_hash: string;
  chain_hash: string;
}

export interface AuditRow {
  seq: number;
  id: string;
  timestamp_ms: number;
  issuer_display: string;
  issuer_pubkey: string;
  kind: string;
  payload: string;
  event_hash: string;
  chain_hash: string;
}

/** The event hash of a stored row, recomputed from its content (verify, and tests that rehash as an attacker would). */
export function recomputedEventHash(row: AuditRow): string {
  return eventHash({
    seq: row.seq,
    id: row.id,
    timestamp_ms: row.timestamp_ms,
    issuer: { display: row.issuer_display, pubkey: row.issuer_pubkey },
    kind: row.kind,
    payload: JSON.parse(row.payload),
  });
}

export function rowToEvent(row: AuditRow): AuditEvent {
  return {
    seq: row.seq,
    id: row.id,
    timestamp_ms: row.timestamp_ms,
    issuer: { display: row.issuer_display, pubkey: row.issuer_pubkey },
    kind: row.kind,
    payload: JSON.parse(row.payload) as Record<string, unknown>,
    event_hash: row.event_hash,
    chain_hash: row.chain_hash,
  };
}

/** The row last written on each connection (by any AuditLog on it) and where the connection stood then. */
const lastWritten = new WeakMap<Db, { seq: number; chain_hash: string; at: TransactionPoint | null }>();

export type AuditListener = (event: AuditEvent) => void;

/**
 * The hash-chained audit log. `append` must run inside the transaction of the change it
 * records; listeners hear about a row only once that transaction has committed. The signed
 * head (`audit.head` next to the database, see head-keeper.ts) follows the committed rows.
 */
export class AuditLog {
  private readonly listeners = new Set<AuditListener>();
  private pending: AuditEvent[] = [];
  private readonly head: AuditHeadKeeper;
  private readonly publicRuns: PublicRun;

  constructor(
    private readonly db: Db,
    private readonly daemonKeys: KeyPair,
    private readonly clock: Clock,
  ) {
    this.head = new AuditHeadKeeper(db, daemonKeys, clock, auditHeadPath(db));
    this.head.open();
    this.publicRuns = knownPubkeys(db, daemonKeys.publicKeyB58);
    trackTransactions(db);
  }

  /**
   * The row the next one chains onto. Read from the table, except inside the transaction this
   * log last wrote in while it is still open with nothing rolled back since: then that row is
   * still the newest (the daemon is the only writer, and this code is synchronous). A group
   * commit's requests share one transaction, so only its first row reads the head.
   */
  private chainHead(): { seq: number; chain_hash: string } {
    const last = lastWritten.get(this.db);
    if (last !== undefined && stillOpen(this.db, last.at)) return last;
    return this.newestRow() ?? this.anchor();
  }

  private newestRow(): { seq: number; chain_hash: string } | undefined {
    return statement(this.db, NEWEST_ROW).get() as { seq: number; chain_hash: string } | undefined;
  }

  /**
   * Appends one catalogued event (src/audit/events.ts); a payload off its kind's schema is refused
   * before anything is written. Inside a request, the request's deferred rows are written first,
   * in the same transaction (request-rows.ts).
   */
  append(issuer: AgentId, event: NewAuditEvent): AuditEvent {
    checkAuditEvent(event);
    const deferred = currentRequestRows()?.rows.filter((row) => row.written === null) ?? [];
    if (deferred.length === 0) return this.write(issuer, event);
    const writeAll = () => {
      for (const row of deferred) this.writeDeferred(row);
      return this.write(issuer, event);
    };
    // Inside the change's transaction already: its rollback takes these rows along (and
    // `writeRequestRows` writes them again), so no savepoint of their own is needed.
    return this.db.inTransaction ? writeAll() : transact(this.db, writeAll);
  }

  /**
   * A row a request's check produces (`capability_check`): inside a request it waits for the
   * request's change and commits with it (or alone when the request ends); elsewhere it is
   * written at once.
   */
  appendWithRequest(issuer: AgentId, event: NewAuditEvent): void {
    checkAuditEvent(event);
    const request = currentRequestRows();
    if (request === null) this.append(issuer, event);
    else request.rows.push({ issuer, event, written: null });
  }

  private writeDeferred(row: DeferredRow): void {
    const id = this.write(row.issuer, row.event).id;
    row.written = { id, at: transactionPoint(this.db) };
  }

  /**
   * The end of a request: writes, in one transaction, its deferred rows that no change took
   * along, and those whose transaction rolled back. Throws when they cannot be written.
   */
  writeRequestRows(request: RequestRows): void {
    const exists = statement(this.db, ROW_EXISTS);
    // A row written in the transaction still open, with nothing rolled back since, is there
    // without asking; any other is looked up (it may have committed, or been rolled back).
    const missing = request.rows.filter(
      ({ written }) => written === null || (!stillOpen(this.db, written.at) && exists.get(written.id) === undefined),
    );
    if (missing.length === 0) return;
    transact(this.db, () => {
      for (const row of missing) this.writeDeferred(row);
    });
  }

  private write(issuer: AgentId, event: NewAuditEvent): AuditEvent {
    const { kind } = event;
    const given = event.payload as Record<string, unknown>;
    // A refusal row may quote what the caller sent, wherever it was built: token-shaped runs are cut here.
    const safe = isRefusalRow(kind, given) ? redactRefusal(given, this.publicRuns) : given;
    const payload = wellFormedJson(safe); // a lone surrogate has no canonical JSON: U+FFFD, so every row can be written
    const previous = this.chainHead();
    const seq = previous.seq + 1;
    const content = { seq, id: newId(), timestamp_ms: this.clock.now(), issuer, kind, payload };
    const event_hash = eventHash(content);
    const chain_hash = chainHash(previous.chain_hash, event_hash);
    const insert = () => {
      statement(this.db, INSERT_ROW).run(seq, content.id, content.timestamp_ms, issuer.display, issuer.pubkey, kind, JSON.stringify(payload), event_hash, chain_hash);
      if (seq % CHECKPOINT_EVERY === 0) this.writeCheckpoint(seq, chain_hash);
    };
    // A lone row is one INSERT (autocommit, or part of the caller's transaction; the daemon is
    // the only writer and this function is synchronous, so nothing can interleave between the
    // read above and the write). A row that also signs a checkpoint needs both writes in one
    // transaction (a savepoint inside the caller's).
    if (seq % CHECKPOINT_EVERY === 0) transact(this.db, insert);
    else insert();
    lastWritten.set(this.db, { seq, chain_hash, at: transactionPoint(this.db) });
    const stored: AuditEvent = { ...content, event_hash, chain_hash };
    this.queueNotification(stored);
    this.head.noteAppend();
    return stored;
  }

  /** Signs a checkpoint of the newest row; returns null on an empty log. */
  checkpoint(): { seq: number; chain_hash: string; timestamp_ms: number; signature_b58: string } | null {
    const signed = this.db.transaction(() => {
      const last = this.newestRow();
      return last ? this.writeCheckpoint(last.seq, last.chain_hash) : null;
    })();
    this.head.refreshAfterCommit();
    return signed;
  }

  /** Signs a checkpoint of the stored row `seq` (its own chain hash); throws when there is no such row. */
  checkpointAt(seq: number): { seq: number; chain_hash: string; timestamp_ms: number; signature_b58: string } {
    const signed = this.db.transaction(() => {
      const row = this.db.prepare('SELECT chain_hash FROM audit_events WHERE seq = ?').get(seq) as { chain_hash: string } | undefined;
      if (!row) throw new Error(`cannot checkpoint audit seq ${seq}: no such row`);
      return this.writeCheckpoint(seq, row.chain_hash);
    })();
    this.head.refreshAfterCommit();
    return signed;
  }

  /** Signs the purge cut at `seq` as the chain's new start (call inside the purge's transaction). */
  signPurgeAnchor(seq: number, chain: string): SignedMark {
    return writePurgeAnchor(this.db, this.daemonKeys, this.clock.now(), seq, chain);
  }

  /** Brings the signed head up to the newest committed row (now, or right after the open transaction). */
  refreshHead(): void {
    this.head.refreshAfterCommit();
  }

  subscribe(listener: AuditListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Where the chain starts: genesis, or the signed cut of the latest purge. */
  private anchor(): { seq: number; chain_hash: string } {
    const cut = statement(this.db, 'SELECT seq, chain_hash FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as
      | { seq: number; chain_hash: string }
      | undefined;
    return cut ?? { seq: 0, chain_hash: GENESIS_CHAIN_HASH };
  }

  private writeCheckpoint(seq: number, chain: string) {
    const timestamp_ms = this.clock.now();
    const signature_b58 = toBase58(signBytes(this.daemonKeys, checkpointMessage(seq, chain, timestamp_ms)));
    statement(this.db, 'INSERT OR REPLACE INTO audit_checkpoints (seq, chain_hash, timestamp_ms, signature_b58) VALUES (?, ?, ?, ?)').run(seq, chain, timestamp_ms, signature_b58);
    this.head.refreshAfterCommit();
    return { seq, chain_hash: chain, timestamp_ms, signature_b58 };
  }

  private queueNotification(event: AuditEvent): void {
    if (this.listeners.size === 0) return;
    this.pending.push(event);
    if (this.pending.length > 1) return;
    // Deliver after the surrounding transaction: a rolled-back row is dropped by the check below.
    setImmediate(() => {
      const batch = this.pending;
      this.pending = [];
      const stillThere = statement(this.db, 'SELECT 1 FROM audit_events WHERE id = ?');
      for (const queued of batch) {
        if (!stillThere.get(queued.id)) continue;
        for (const listener of this.listeners) listener(queued);
      }
    });
  }
}
