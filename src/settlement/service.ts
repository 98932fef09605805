/**
 * Settlement queries and batching (SPEC 15, docs/settlement.md): recent receipts, chain status,
 * flushing unbatched receipts into a signed Merkle batch, batch listing and inclusion proofs.
 */
import type { AuditLog } from '../audit/index.js';
import { CovenantError, newId, quoteInput, type Clock } from '../core/index.js';
import type { AgentId, DaemonIdentity } from '../identity/index.js';
import type { Db } from '../store/index.js';
import type { ChainBackend } from './backends.js';
import { merkleProof, merkleRoot } from './merkle.js';
import type { ReceiptProof, ReceiptView } from '../protocol/index.js';
import { receiptLeafHash, receiptView, signBatch } from './proof.js';
import type { ReceiptResource, ReceiptStatus } from '../protocol/index.js';
import type { Receipt } from './receipts.js';

export const DEFAULT_RECENT_RECEIPTS = 50;
export const MAX_RECENT_RECEIPTS = 1000;
export const DEFAULT_BATCH_LIST = 20;
export const MAX_BATCH_LIST = 1000;
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
      where.push('payer = ?');
      args.push(query.visibleTo);
    }
    if (query.sinceMs != null) {
      where.push('settled_at >= ?');
      args.push(query.sinceMs);
    }
    if (query.resource != null) {
      where.push('resource = ?');
      args.push(query.resource);
    }
    if (query.status != null) {
      where.push('status = ?');
      args.push(query.status);
    }
    if (query.intentId != null) {
      where.push('intent_id = ?');
      args.push(query.intentId);
    }
    const rows = this.deps.db
      .prepare(
        `SELECT * FROM receipts ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY settled_at DESC, id DESC LIMIT ?`,
      )
      .all(...args, query.limit) as Receipt[];
    return rows.map((row) => receiptView(row as unknown as Record<string, unknown>));
  }

  pendingCount(): number {
    return (this.deps.db.prepare('SELECT COUNT(*) AS n FROM receipts WHERE batch_id IS NULL').get() as { n: number }).n;
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
   * Batches the oldest unbatched receipts (up to `limit`) into one signed Merkle batch. The
   * backend posts the root first (for `solana`, a network call); then ONE transaction stores the
   * batch and its leaves, marks the receipts and appends `receipt_batch_flushed`. No receipts:
   * E_NOT_FOUND and nothing is written. One flush runs at a time.
   */
  async flush(caller: AgentId, limit = MAX_FLUSH_RECEIPTS): Promise<FlushResult> {
    if (this.flushing) throw new CovenantError('E_CONFLICT', 'a receipt flush is already running; run it again when that one has finished');
    this.flushing = true;
    try {
      const { db, audit, clock, identity, backend } = this.deps;
      const take = Math.max(1, Math.min(limit, MAX_FLUSH_RECEIPTS));
      const receipts = db
        .prepare('SELECT * FROM receipts WHERE batch_id IS NULL ORDER BY settled_at, id LIMIT ?')
        .all(take) as Array<Record<string, unknown>>;
      if (receipts.length === 0) throw new CovenantError('E_NOT_FOUND', 'no unbatched receipts; nothing to flush');
      const leaves = receipts.map((receipt) => receiptLeafHash(receipt));
      const header = {
        batch_id: newId(),
        merkle_root: merkleRoot(leaves).toString('hex'),
        receipt_count: receipts.length,
        created_at: clock.now(),
      };
      const signature = signBatch(identity.keys, header);
      const { tx_sig } = await backend.post({ ...header, signature });
      const batch: ReceiptBatch = { ...header, signature, tx_sig, chain: backend.chain };
      db.transaction(() => {
        db.prepare(
          `INSERT INTO receipt_batches (batch_id, merkle_root, receipt_count, created_at, signature, signer, chain, tx_sig)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        ).run(batch.batch_id, batch.merkle_root, batch.receipt_count, batch.created_at, signature, identity.agentId.pubkey, batch.chain, tx_sig);
        const mark = db.prepare('UPDATE receipts SET batch_id = ?, merkle_root = ?, chain = ?, tx_sig = ? WHERE id = ? AND batch_id IS NULL');
        const leaf = db.prepare('INSERT INTO receipt_batch_leaves (batch_id, leaf_index, receipt_id, leaf_hash) VALUES (?, ?, ?, ?)');
        receipts.forEach((receipt, index) => {
          if (mark.run(batch.batch_id, batch.merkle_root, batch.chain, tx_sig, receipt.id).changes !== 1) {
            throw new CovenantError('E_CONFLICT', `receipt ${String(receipt.id)} changed while it was being batched; run the flush again`);
          }
          leaf.run(batch.batch_id, index, receipt.id, leaves[index]!.toString('hex'));
        });
        audit.append(caller, { kind: 'receipt_batch_flushed', payload: {
          batch_id: batch.batch_id,
          merkle_root: batch.merkle_root,
          receipt_count: batch.receipt_count,
          chain: batch.chain,
          tx_sig,
        } });
      })();
      return { receipts_updated: receipts.length, batch };
    } finally {
      this.flushing = false;
    }
  }

  /**
   * The inclusion proof of one receipt. Callers see their own receipts only (`visibleTo`; null:
   * the operator); another payer's receipt answers E_NOT_FOUND like a missing one.
   */
  prove(receiptId: string, visibleTo: string | null): ReceiptProof {
    const { db } = this.deps;
    const receipt = db.prepare('SELECT * FROM receipts WHERE id = ?').get(receiptId) as Record<string, unknown> | undefined;
    if (!receipt || (visibleTo !== null && receipt.payer !== visibleTo)) {
      throw new CovenantError('E_NOT_FOUND', `no receipt ${quoteInput(receiptId)} of yours; list yours with \`covenant receipts recent\``);
    }
    if (receipt.batch_id === null) {
      throw new CovenantError(
        'E_NOT_FOUND',
        `receipt ${receiptId} is not in a batch yet; flush first (\`covenant chain flush-receipts\`, operator), then prove it`,
      );
    }
    const batch = this.batch(String(receipt.batch_id));
    const rows = db
      .prepare('SELECT receipt_id, leaf_hash FROM receipt_batch_leaves WHERE batch_id = ? ORDER BY leaf_index')
      .all(String(receipt.batch_id)) as Array<{ receipt_id: string; leaf_hash: string }>;
    const index = rows.findIndex((row) => row.receipt_id === receiptId);
    if (!batch || index < 0 || rows.length !== batch.receipt_count) {
      throw new CovenantError('E_CONFLICT', `the batch of receipt ${receiptId} is incomplete in the store; run \`covenant verify\``);
    }
    const leafHex = receiptLeafHash(receipt).toString('hex');
    if (leafHex !== rows[index]!.leaf_hash) {
      throw new CovenantError('E_CONFLICT', `receipt ${receiptId} no longer matches the leaf batched for it (it was changed after batching); run \`covenant verify\``);
    }
    const leaves = rows.map((row) => Buffer.from(row.leaf_hash, 'hex'));
    if (merkleRoot(leaves).toString('hex') !== batch.merkle_root) {
      throw new CovenantError('E_CONFLICT', `the stored leaves of batch ${batch.batch_id} no longer lead to its signed root; run \`covenant verify\``);
    }
    return {
      receipt: receiptView(receipt),
      leaf_hash: leafHex,
      index,
      siblings: merkleProof(leaves, index),
      merkle_root: batch.merkle_root,
      batch: { batch_id: batch.batch_id, receipt_count: batch.receipt_count, created_at: batch.created_at, signature: batch.signature },
      // The key that signed this batch (the daemon's key at flush time).
      daemon_pubkey: (db.prepare('SELECT signer FROM receipt_batches WHERE batch_id = ?').get(batch.batch_id) as { signer: string }).signer,
    };
  }
}
