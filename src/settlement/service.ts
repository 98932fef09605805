/**
 * Settlement queries and batching (SPEC 15, docs/settlement.md): recent receipts, chain status,
 * flushing unbatched receipts into a signed Merkle batch, batch listing and inclusion proofs.
 */
import type { AuditLog } from '../audit/index.js';
import { CovenantError, newId, quoteInput, type Clock } from '../core/index.js';
import type { AgentId, DaemonIdentity } from '../identity/index.js';
import { statement, type Db } from '../store/index.js';
import type { ChainBackend } from './backends.js';
import { LEAF_KEYS_CANONICAL, LEAF_OPTIONAL_KEYS, receiptLeafText, storedLeafTextSql } from './leaf-text.js';
import { RECEIPT_VIEW_SELECT } from './receipts.js';
import { merkleProofOfBlob, merkleRootOfBlob, sha256Into } from './merkle.js';
import type { ReceiptProof, ReceiptView } from '../protocol/index.js';
import { receiptLeafHash, receiptView, signBatch } from './proof.js';
import type { ReceiptResource, ReceiptStatus } from '../protocol/index.js';

export const DEFAULT_RECENT_RECEIPTS = 50;
export const DEFAULT_BATCH_LIST = 20;
/** One flush batches at most this many receipts (the oldest first). */
export const MAX_FLUSH_RECEIPTS = 10_000;

export interface ReceiptQuery {
  limit: number;
  sinceMs?: number | null;
  resource?: ReceiptResource | null;
  status?: ReceiptStatus | null;
  intentId?: string | null;
  /** Only receipts this pubkey pays; null: every receipt (the operator). */
  visibleTo: string | null;
}

export interface ReceiptBatch {
  batch_id: string;
  merkle_root: string;
  receipt_count: number;
  created_at: number;
  signature: string;
  tx_sig: string | null;
  chain: string;
}

export interface ChainStatus {
  backend: string;
  ready: boolean;
  missing: string[];
  pending_receipts: number;
  last_batch: ReceiptBatch | null;
}

export interface FlushResult {
  receipts_updated: number;
  batch: ReceiptBatch;
}

export interface SettlementDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  identity: DaemonIdentity;
  backend: ChainBackend;
}

const BATCH_COLUMNS = 'batch_id, merkle_root, receipt_count, created_at, signature, tx_sig, chain';

/** Every receipt up to this seq is batched, or was batched before migration 16 (`batch_id` set). */
const CURSOR = 'SELECT COALESCE(MAX(last_seq), 0) FROM receipt_batches';
/** Receipts of a batch's range (seq from the first ? to the second) that the batch holds. */
const COUNT_IN_RANGE = 'SELECT COUNT(*) FROM receipts WHERE seq BETWEEN ? AND ? AND batch_id IS NULL';
/** The cursor and how many receipts of a range (seq from the first ? to the second) are unbatched. */
const RANGE_HELD = `SELECT (${CURSOR}) AS cursor, (${COUNT_IN_RANGE}) AS n`;
const INSERT_BATCH = `INSERT INTO receipt_batches (batch_id, merkle_root, receipt_count, created_at, signature, signer, chain, tx_sig, first_seq, last_seq, leaves)
  VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`;
/**
 * The next receipts to batch (the first ? unbatched after the cursor, the second ? of them at
 * most) in one scan: how many, their seq range, how many have a stored leaf hash (migration
 * 018), and those hashes back to back in seq order, as one blob (the range's leaves when every
 * receipt has one; `string_agg` skips a NULL). The order is the subquery's: SQLite never
 * flattens a subquery with ORDER BY into an aggregate query, so that the ORDER BY decides the
 * order group_concat (`string_agg`) sees (select.c, flattening restriction 16, ticket #2942);
 * the rowid scan gives that order without a sort. `string_agg(... ORDER BY seq)` sorted all
 * 10,000 rows again in a temporary B-tree: a fifth of a flush (docs/performance.md, "Receipts
 * flush").
 */
const NEXT_LEAVES = `SELECT COUNT(*) AS n, MIN(seq) AS first_seq, MAX(seq) AS last_seq, COUNT(*) FILTER (WHERE length(leaf_hash) = 32) AS hashed,
  unhex(string_agg(hex(leaf_hash), '')) AS leaves
  FROM (SELECT seq, leaf_hash FROM receipts WHERE seq > ? AND batch_id IS NULL ORDER BY seq LIMIT ?)`;
/**
 * A range with receipts written before migration 018, in seq order, one row per receipt: its
 * stored leaf hash, or else its canonical leaf text written by SQLite when it can
 * (storedLeafTextSql); otherwise both NULL, for the encoder here.
 */
const RANGE_LEAF_HASHES_OR_TEXTS = `SELECT leaf_hash, CASE WHEN leaf_hash IS NULL THEN ${storedLeafTextSql('receipts')} END
  FROM receipts WHERE seq BETWEEN ? AND ? AND batch_id IS NULL ORDER BY seq`;
/** The range's seqs in the same order: read only when a receipt's leaf is encoded here. */
const RANGE_SEQS = 'SELECT seq FROM receipts WHERE seq BETWEEN ? AND ? AND batch_id IS NULL ORDER BY seq';
/** A receipt whose leaf text SQLite did not write: its leaf fields, encoded here. */
const LEAF_FIELD_NAMES = [...LEAF_KEYS_CANONICAL, ...LEAF_OPTIONAL_KEYS];
const LEAF_FIELDS_BY_SEQ = `SELECT ${LEAF_FIELD_NAMES.join(', ')} FROM receipts WHERE seq = ?`;

function leafFields(values: unknown[]): Record<string, unknown> {
  return Object.fromEntries(LEAF_FIELD_NAMES.map((key, i) => [key, values[i]]));
}

export class SettlementService {
  private flushing = false;

  constructor(private readonly deps: SettlementDeps) {}

  get backend(): ChainBackend {
    return this.deps.backend;
  }

  /** Newest first, filtered before the limit. */
  recent(query: ReceiptQuery): ReceiptView[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (query.visibleTo !== null) {
      where.push('r.payer = ?');
      args.push(query.visibleTo);
    }
    if (query.sinceMs != null) {
      where.push('r.settled_at >= ?');
      args.push(query.sinceMs);
    }
    if (query.resource != null) {
      where.push('r.resource = ?');
      args.push(query.resource);
    }
    if (query.status != null) {
      where.push('r.status = ?');
      args.push(query.status);
    }
    if (query.intentId != null) {
      where.push('r.intent_id = ?');
      args.push(query.intentId);
    }
    const rows = this.deps.db
      .prepare(`${RECEIPT_VIEW_SELECT} ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY r.settled_at DESC, r.id DESC LIMIT ?`)
      .all(...args, query.limit) as Array<Record<string, unknown>>;
    return rows.map((row) => receiptView(row));
  }

  pendingCount(): number {
    return (this.deps.db.prepare(`SELECT COUNT(*) AS n FROM receipts WHERE seq > (${CURSOR}) AND batch_id IS NULL`).get() as { n: number }).n;
  }

  batches(limit: number): ReceiptBatch[] {
    return this.deps.db.prepare(`SELECT ${BATCH_COLUMNS} FROM receipt_batches ORDER BY seq DESC LIMIT ?`).all(limit) as ReceiptBatch[];
  }

  batch(batchId: string): ReceiptBatch | null {
    return (this.deps.db.prepare(`SELECT ${BATCH_COLUMNS} FROM receipt_batches WHERE batch_id = ?`).get(batchId) as ReceiptBatch | undefined) ?? null;
  }

  async status(): Promise<ChainStatus> {
    const readiness = await this.deps.backend.readiness();
    return {
      backend: this.deps.backend.name,
      ready: readiness.ready,
      missing: readiness.missing,
      pending_receipts: this.pendingCount(),
      last_batch: this.batches(1)[0] ?? null,
    };
  }

  /**
   * Batches the oldest unbatched receipts (up to `limit`, in `seq` order) into one signed Merkle
   * batch. The backend posts the root first (for `solana`, a network call); then ONE transaction
   * stores the batch (its seq range and its leaves as one blob) and appends
   * `receipt_batch_flushed`; no receipt row is written. No receipts: E_NOT_FOUND and nothing is
   * written. One flush runs at a time.
   */
  async flush(caller: AgentId, limit = MAX_FLUSH_RECEIPTS): Promise<FlushResult> {
    if (this.flushing) throw new CovenantError('E_CONFLICT', 'a receipt flush is already running; run it again when that one has finished');
    this.flushing = true;
    try {
      const { db, audit, clock, identity, backend } = this.deps;
      const take = Math.max(1, Math.min(limit, MAX_FLUSH_RECEIPTS));
      const { cursor, firstSeq, lastSeq, leaves } = this.nextLeaves(take);
      const receiptCount = leaves.length / 32;
      const header = {
        batch_id: newId(),
        merkle_root: merkleRootOfBlob(leaves).toString('hex'),
        receipt_count: receiptCount,
        created_at: clock.now(),
      };
      const signature = signBatch(identity.keys, header);
      const { tx_sig } = await backend.post({ ...header, signature });
      const batch: ReceiptBatch = { ...header, signature, tx_sig, chain: backend.chain };
      db.transaction(() => {
        // The range must still hold exactly these receipts: nothing batched it meanwhile, none removed.
        const held = statement(db, RANGE_HELD).get(firstSeq, lastSeq) as { cursor: number; n: number };
        if (held.cursor !== cursor || held.n !== receiptCount) {
          throw new CovenantError('E_CONFLICT', 'receipts changed while they were being batched; run the flush again');
        }
        statement(db, INSERT_BATCH).run(batch.batch_id, batch.merkle_root, batch.receipt_count, batch.created_at, signature, identity.agentId.pubkey, batch.chain, tx_sig, firstSeq, lastSeq, leaves);
        audit.append(caller, { kind: 'receipt_batch_flushed', payload: {
          batch_id: batch.batch_id,
          merkle_root: batch.merkle_root,
          receipt_count: batch.receipt_count,
          chain: batch.chain,
          tx_sig,
        } });
      })();
      return { receipts_updated: receiptCount, batch };
    } finally {
      this.flushing = false;
    }
  }

  /**
   * The next `take` unbatched receipts after the cursor, read in one transaction: the cursor,
   * their seq range, and their leaf hashes back to back (what the tree is built from and the
   * batch stores): the hashes stored by the inserts (migration 018) in one read when every
   * receipt has one; otherwise row by row, encoding and hashing those without one from their
   * row. No receipts: E_NOT_FOUND.
   */
  private nextLeaves(take: number): { cursor: number; firstSeq: number; lastSeq: number; leaves: Buffer } {
    const { db } = this.deps;
    return db.transaction(() => {
      const cursor = statement(db, CURSOR).pluck().get() as number;
      const next = statement(db, NEXT_LEAVES).get(cursor, take) as { n: number; first_seq: number | null; last_seq: number | null; hashed: number; leaves: Buffer | null };
      const { first_seq: firstSeq, last_seq: lastSeq } = next;
      if (firstSeq === null || lastSeq === null) throw new CovenantError('E_NOT_FOUND', 'no unbatched receipts; nothing to flush');
      if (next.hashed === next.n && next.leaves?.length === next.n * 32) return { cursor, firstSeq, lastSeq, leaves: next.leaves };
      const rows = statement(db, RANGE_LEAF_HASHES_OR_TEXTS).raw().all(firstSeq, lastSeq) as Array<[Buffer | null, string | null]>;
      const leaves = Buffer.allocUnsafe(rows.length * 32);
      let seqs: number[] | undefined;
      const byHand = (i: number): string => {
        seqs ??= statement(db, RANGE_SEQS).pluck().all(firstSeq, lastSeq) as number[];
        return receiptLeafText(leafFields(statement(db, LEAF_FIELDS_BY_SEQ).raw().get(seqs[i]) as unknown[]));
      };
      rows.forEach(([hash, text], i) => {
        if (hash !== null) hash.copy(leaves, i * 32);
        else sha256Into(leaves, i * 32, text ?? byHand(i));
      });
      return { cursor, firstSeq, lastSeq, leaves };
    })();
  }

  /**
   * The inclusion proof of one receipt. Callers see their own receipts only (`visibleTo`; null:
   * the operator); another payer's receipt answers E_NOT_FOUND like a missing one.
   */
  prove(receiptId: string, visibleTo: string | null): ReceiptProof {
    const { db } = this.deps;
    const receipt = db.prepare(`${RECEIPT_VIEW_SELECT} WHERE r.id = ?`).get(receiptId) as Record<string, unknown> | undefined;
    if (!receipt || (visibleTo !== null && receipt.payer !== visibleTo)) {
      throw new CovenantError('E_NOT_FOUND', `no receipt ${quoteInput(receiptId)} of yours; list yours with \`covenant receipts recent\``);
    }
    const batchId = receipt.batch_id;
    if (typeof batchId !== 'string') {
      throw new CovenantError(
        'E_NOT_FOUND',
        `receipt ${receiptId} is not in a batch yet; flush first (\`covenant chain flush-receipts\`, operator), then prove it`,
      );
    }
    const batch = this.batch(batchId);
    const stored = db.prepare('SELECT first_seq, leaves FROM receipt_batches WHERE batch_id = ?').get(batchId) as
      | { first_seq: number | null; leaves: Buffer | null }
      | undefined;
    const { leaves, index } =
      stored?.leaves != null && stored.first_seq !== null
        ? { leaves: stored.leaves, index: db.prepare(COUNT_IN_RANGE).pluck().get(stored.first_seq, (receipt.seq as number) - 1) as number }
        : this.legacyLeaves(batchId, receiptId);
    if (!batch || index < 0 || index >= batch.receipt_count || leaves.length !== batch.receipt_count * 32) {
      throw new CovenantError('E_CONFLICT', `the batch of receipt ${receiptId} is incomplete in the store; run \`covenant verify\``);
    }
    const leafHex = receiptLeafHash(receipt).toString('hex');
    if (leafHex !== leaves.toString('hex', index * 32, index * 32 + 32)) {
      throw new CovenantError('E_CONFLICT', `receipt ${receiptId} no longer matches the leaf batched for it (it was changed after batching); run \`covenant verify\``);
    }
    if (merkleRootOfBlob(leaves).toString('hex') !== batch.merkle_root) {
      throw new CovenantError('E_CONFLICT', `the stored leaves of batch ${batch.batch_id} no longer lead to its signed root; run \`covenant verify\``);
    }
    return {
      receipt: receiptView(receipt),
      leaf_hash: leafHex,
      index,
      siblings: merkleProofOfBlob(leaves, index),
      merkle_root: batch.merkle_root,
      batch: { batch_id: batch.batch_id, receipt_count: batch.receipt_count, created_at: batch.created_at, signature: batch.signature },
      // The key that signed this batch (the daemon's key at flush time).
      daemon_pubkey: (db.prepare('SELECT signer FROM receipt_batches WHERE batch_id = ?').get(batch.batch_id) as { signer: string }).signer,
    };
  }

  /** A batch flushed before migration 16: one leaf row per receipt (here back to back, as a blob). */
  private legacyLeaves(batchId: string, receiptId: string): { leaves: Buffer; index: number } {
    const rows = this.deps.db
      .prepare('SELECT receipt_id, leaf_hash FROM receipt_batch_leaves WHERE batch_id = ? ORDER BY leaf_index')
      .all(batchId) as Array<{ receipt_id: string; leaf_hash: string }>;
    return { leaves: Buffer.concat(rows.map((row) => Buffer.from(row.leaf_hash, 'hex'))), index: rows.findIndex((row) => row.receipt_id === receiptId) };
  }
}
