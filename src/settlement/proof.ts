/**
 * Receipt leaves, batch signatures and inclusion proofs (SPEC 15, docs/settlement.md).
 *
 * Kept free of the database and the daemon so `covenant receipts verify-proof` can check a
 * proof offline with nothing but this file, the Merkle code, canonical JSON and ed25519.
 */
import { canonicalJson, fromBase58, quoteInput, toBase58 } from '../core/index.js';
import { signBytes, verifySignature, type KeyPair } from '../identity/keys.js';
import type { ReceiptProof, ReceiptView } from '../protocol/index.js';
import { LEAF_OPTIONAL_KEYS, receiptLeafText } from './leaf-text.js';
import { checkMerkleProof, isHashHex, sha256 } from './merkle.js';

/**
 * The fields of a receipt its leaf hash covers, in no particular order (RFC 8785 sorts them):
 * everything the receipt says about the paid event. The four batch fields (`batch_id`,
 * `merkle_root`, `chain`, `tx_sig`) are set by batching and so cannot be part of the leaf.
 */
export const RECEIPT_LEAF_FIELDS = [
  'id',
  'payer',
  'resource',
  'status',
  'credits_consumed',
  'settled_at',
  'intent_id',
  'memory_record_id',
  'failure_reason',
] as const;

/**
 * Leaf fields added after receipts were first batched: covered by the leaf only when set, so a
 * receipt that has none (every receipt written before the field existed) keeps its leaf hash.
 * `tokens_used` (migration 013): the tokens of the model calls a receipt paid for.
 */
export const RECEIPT_OPTIONAL_LEAF_FIELDS = LEAF_OPTIONAL_KEYS;

export const RECEIPT_BATCH_FIELDS = ['batch_id', 'merkle_root', 'chain', 'tx_sig'] as const;

/** The canonical object a receipt's leaf hashes: the leaf fields, nulls included, and the optional ones that are set. */
export function receiptLeafObject(receipt: Record<string, unknown>): Record<string, unknown> {
  const leaf: Record<string, unknown> = {};
  for (const field of RECEIPT_LEAF_FIELDS) leaf[field] = receipt[field] ?? null;
  for (const field of RECEIPT_OPTIONAL_LEAF_FIELDS) if (receipt[field] != null) leaf[field] = receipt[field];
  return leaf;
}

/** Leaf = SHA-256 of the RFC 8785 canonical receipt (its leaf fields), written by the fixed-shape encoder. */
export function receiptLeafHash(receipt: Record<string, unknown>): Buffer {
  return sha256(receiptLeafText(receipt));
}

/**
 * The leaf hash an insert stores with a receipt (migration 018), from the values it writes; null
 * when one of them is not a JSON scalar the encoder accepts (a lone surrogate, NaN): such a
 * receipt is stored as SQLite converts it, and the flush encodes it from its row as before 018.
 */
export function storedLeafHash(receipt: Record<string, unknown>): Buffer | null {
  try {
    return receiptLeafHash(receipt);
  } catch {
    return null;
  }
}

/**
 * The same leaf through the generic RFC 8785 encoder: what an offline check recomputes, so a
 * proof is verified independently of the daemon's fixed-shape encoder.
 */
export function canonicalLeafHash(receipt: Record<string, unknown>): Buffer {
  return sha256(canonicalJson(receiptLeafObject(receipt)));
}

/** The receipt as a proof carries it: the leaf fields (optional ones as null when unset), then the four batch fields. */
export function receiptView(receipt: Record<string, unknown>): ReceiptView {
  const view: Record<string, unknown> = receiptLeafObject(receipt);
  for (const field of RECEIPT_OPTIONAL_LEAF_FIELDS) view[field] = receipt[field] ?? null;
  for (const field of RECEIPT_BATCH_FIELDS) view[field] = receipt[field] ?? null;
  return view as ReceiptView;
}

export interface BatchHeader {
  batch_id: string;
  merkle_root: string;
  receipt_count: number;
  created_at: number;
}

/** The bytes the daemon signs for a batch: canonical {batch_id, merkle_root, receipt_count, created_at}. */
export function batchSigningMessage(header: BatchHeader): Buffer {
  return Buffer.from(
    canonicalJson({
      batch_id: header.batch_id,
      merkle_root: header.merkle_root,
      receipt_count: header.receipt_count,
      created_at: header.created_at,
    }),
    'utf8',
  );
}

/** ed25519 over the signing message, base58. */
export function signBatch(keys: KeyPair, header: BatchHeader): string {
  return toBase58(signBytes(keys, batchSigningMessage(header)));
}

export function verifyBatchSignature(pubkeyB58: string, header: BatchHeader, signatureB58: string): boolean {
  const signature = fromBase58(signatureB58);
  if (!signature) return false;
  return verifySignature(pubkeyB58, batchSigningMessage(header), signature);
}

export interface ProofFailure {
  /** Which check failed: `leaf_hash`, `path`, `signature`, `receipt_batch` or `daemon_pubkey`. */
  check: string;
  reason: string;
}

export interface ProofVerdict {
  valid: boolean;
  receipt_id: string;
  merkle_root: string;
  failures: ProofFailure[];
}

/**
 * Checks a proof offline: the leaf hash recomputed from the receipt, the path from that leaf to
 * `merkle_root`, and the daemon's batch signature over the root. With `expectedPubkey`, the
 * proof's `daemon_pubkey` must also be that key (without it the proof is checked against the key
 * it carries, which shows it is intact, not who made it).
 */
export function verifyReceiptProof(proof: ReceiptProof, options: { expectedPubkey?: string } = {}): ProofVerdict {
  const failures: ProofFailure[] = [];
  const receipt = proof.receipt as Record<string, unknown>;
  const unknownFields = Object.keys(receipt).filter(
    (key) => ![...RECEIPT_LEAF_FIELDS, ...RECEIPT_OPTIONAL_LEAF_FIELDS, ...RECEIPT_BATCH_FIELDS].includes(key as never),
  );
  let leafHex: string | null = null;
  if (unknownFields.length > 0) {
    failures.push({ check: 'leaf_hash', reason: `the receipt has fields no receipt has: ${unknownFields.join(', ')}` });
  } else {
    try {
      leafHex = canonicalLeafHash(receipt).toString('hex');
    } catch {
      failures.push({ check: 'leaf_hash', reason: 'the receipt cannot be canonicalised as JSON' });
    }
  }
  if (leafHex !== null && leafHex !== proof.leaf_hash) {
    failures.push({ check: 'leaf_hash', reason: `the receipt hashes to ${leafHex}, not to the proof's leaf_hash ${proof.leaf_hash}` });
  }
  if (leafHex !== null) {
    for (const reason of checkMerkleProof({
      leafHex,
      index: proof.index,
      leafCount: proof.batch.receipt_count,
      siblings: proof.siblings,
      rootHex: proof.merkle_root,
    })) {
      failures.push({ check: 'path', reason });
    }
  }
  if (receipt.batch_id != null && receipt.batch_id !== proof.batch.batch_id) {
    failures.push({ check: 'receipt_batch', reason: `the receipt names batch ${quoteInput(receipt.batch_id)}, the proof batch ${proof.batch.batch_id}` });
  }
  if (receipt.merkle_root != null && receipt.merkle_root !== proof.merkle_root) {
    failures.push({ check: 'receipt_batch', reason: `the receipt names root ${quoteInput(receipt.merkle_root)}, the proof root ${proof.merkle_root}` });
  }
  if (options.expectedPubkey !== undefined && options.expectedPubkey !== proof.daemon_pubkey) {
    failures.push({ check: 'daemon_pubkey', reason: `the proof is signed for daemon ${proof.daemon_pubkey}, not for ${options.expectedPubkey}` });
  }
  const header = {
    batch_id: proof.batch.batch_id,
    merkle_root: proof.merkle_root,
    receipt_count: proof.batch.receipt_count,
    created_at: proof.batch.created_at,
  };
  if (!isHashHex(proof.merkle_root) || !verifyBatchSignature(proof.daemon_pubkey, header, proof.batch.signature)) {
    failures.push({
      check: 'signature',
      reason: `the batch signature does not verify against daemon_pubkey ${proof.daemon_pubkey} over {batch_id, merkle_root, receipt_count, created_at}`,
    });
  }
  return { valid: failures.length === 0, receipt_id: String(receipt.id), merkle_root: proof.merkle_root, failures };
}
