import Database from 'better-sqlite3';
import { hashToken } from '../../src/peers/tokens.js';

/** The kinds of write the torture load makes, each checked after every restart. */
export const WRITE_KINDS = [
  'memory_write',
  'capability_grant',
  'peer_add',
  'peer_revoke',
  'intent_receipt',
  'audit_checkpoint',
  'receipt_flush',
  'token_rotation',
] as const;
export type WriteKind = (typeof WRITE_KINDS)[number];

/** One acknowledged write and how to find it again: a SELECT that must return `expect`. */
interface Entry {
  kind: WriteKind;
  key: string;
  check(db: Database.Database): boolean;
}

/**
 * Every write covenantd acknowledged (answered with success) during the run. After each
 * restart all of them, from every cycle so far, are looked up in the database read-only.
 */
export class Ledger {
  private readonly entries: Entry[] = [];
  private readonly lost = new Map<WriteKind, Set<string>>(WRITE_KINDS.map((k) => [k, new Set<string>()]));
  readonly examples: string[] = [];

  memoryWrite(id: string, receiptId: string): void {
    this.add('memory_write', id, (db) => one(db, 'SELECT 1 FROM memory_records WHERE id = ?', id) && one(db, 'SELECT 1 FROM receipts WHERE id = ?', receiptId));
  }

  capabilityGrant(id: string, signature: string): void {
    this.add('capability_grant', id, (db) => one(db, 'SELECT 1 FROM capabilities WHERE id = ? AND signature_b58 = ?', id, signature));
  }

  peerAdd(token: string): void {
    const hash = hashToken(token);
    this.add('peer_add', hash.slice(0, 12), (db) => one(db, "SELECT 1 FROM peers WHERE token_hash = ? AND role = 'peer'", hash));
  }

  peerRevoke(token: string): void {
    const hash = hashToken(token);
    this.add('peer_revoke', hash.slice(0, 12), (db) => one(db, 'SELECT 1 FROM peers WHERE token_hash = ? AND revoked_at IS NOT NULL', hash));
  }

  intentReceipt(receiptId: string): void {
    this.add('intent_receipt', receiptId, (db) => one(db, "SELECT 1 FROM receipts WHERE id = ? AND resource = 'compute'", receiptId));
  }

  checkpoint(seq: number, chainHash: string): void {
    this.add('audit_checkpoint', String(seq), (db) => one(db, 'SELECT 1 FROM audit_checkpoints WHERE seq = ? AND chain_hash = ?', seq, chainHash));
  }

  receiptFlush(batchId: string, receiptCount: number): void {
    this.add('receipt_flush', batchId, (db) => {
      const row = db.prepare('SELECT receipt_count, first_seq, last_seq, length(leaves) AS leaf_bytes FROM receipt_batches WHERE batch_id = ?').get(batchId) as
        | { receipt_count: number; first_seq: number | null; last_seq: number | null; leaf_bytes: number | null }
        | undefined;
      if (row?.receipt_count !== receiptCount) return false;
      // Since migration 16 a batch holds the unbatched receipts of its seq range and its leaves as one blob.
      if (row.first_seq === null) return one(db, 'SELECT 1 FROM receipts WHERE batch_id = ? HAVING COUNT(*) = ?', batchId, receiptCount);
      const held = db.prepare('SELECT COUNT(*) AS n FROM receipts WHERE seq BETWEEN ? AND ? AND batch_id IS NULL').get(row.first_seq, row.last_seq) as { n: number };
      return held.n === receiptCount && row.leaf_bytes === receiptCount * 32;
    });
  }

  /** A rotation is kept when the new token is registered and the old one revoked. */
  tokenRotation(oldToken: string, newToken: string): void {
    const oldHash = hashToken(oldToken);
    const newHash = hashToken(newToken);
    this.add(
      'token_rotation',
      newHash.slice(0, 12),
      (db) =>
        one(db, "SELECT 1 FROM peers WHERE token_hash = ? AND role = 'operator'", newHash) &&
        one(db, 'SELECT 1 FROM peers WHERE token_hash = ? AND revoked_at IS NOT NULL', oldHash),
    );
  }

  /** Looks every acknowledged write up; returns how many are missing now. */
  checkAll(dbPath: string, cycle: number): number {
    const db = new Database(dbPath, { readonly: true, fileMustExist: true });
    let missing = 0;
    try {
      for (const entry of this.entries) {
        if (entry.check(db)) continue;
        missing += 1;
        const lost = this.lost.get(entry.kind)!;
        if (!lost.has(entry.key) && this.examples.length < 20) this.examples.push(`cycle ${cycle}: ${entry.kind} ${entry.key} is missing`);
        lost.add(entry.key);
      }
    } finally {
      db.close();
    }
    return missing;
  }

  counts(): Record<WriteKind, { acknowledged: number; lost: number }> {
    const out = {} as Record<WriteKind, { acknowledged: number; lost: number }>;
    for (const kind of WRITE_KINDS) out[kind] = { acknowledged: 0, lost: this.lost.get(kind)!.size };
    for (const entry of this.entries) out[entry.kind].acknowledged += 1;
    return out;
  }

  private add(kind: WriteKind, key: string, check: (db: Database.Database) => boolean): void {
    this.entries.push({ kind, key, check });
  }
}

function one(db: Database.Database, sql: string, ...params: unknown[]): boolean {
  return db.prepare(sql).get(...params) !== undefined;
}

/**
 * The operator-token invariant after a restart: exactly one live operator token, and it is the
 * one in peers/operator.token (a rotation interrupted by the kill must not leave two).
 */
export function operatorTokenAnomaly(dbPath: string, fileToken: string): string | null {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const live = db.prepare("SELECT token_hash FROM peers WHERE role = 'operator' AND revoked_at IS NULL").all() as { token_hash: string }[];
    const fileHash = hashToken(fileToken);
    if (live.length === 1 && live[0]!.token_hash === fileHash) return null;
    const inFile = live.some((row) => row.token_hash === fileHash);
    return `${live.length} live operator token(s); the token file's token is ${inFile ? 'one of them' : 'not live'}`;
  } finally {
    db.close();
  }
}
