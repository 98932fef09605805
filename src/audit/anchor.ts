import type { KeyPair } from '../identity/index.js';
import { readState, writeState, type Db } from '../store/index.js';
import { chainHash, checkpointMessage, purgeAnchorMessage } from './hashing.js';
import { markVerifies, signMark, SignedMarkSchema, type SignedMark } from './signed-mark.js';

/**
 * The purge anchor: where `audit purge` cut the chain, signed in its own domain. A chain that
 * does not start at seq 1 must start right after it; a plain checkpoint is not enough.
 */
const ANCHOR_KEY = 'audit_purge_anchor';

export type AnchorRead = { state: 'absent' } | { state: 'invalid'; seq: number } | { state: 'valid'; anchor: SignedMark };

export function readPurgeAnchor(db: Db, daemonPubkeyB58: string): AnchorRead {
  const stored = readState(db, ANCHOR_KEY);
  if (stored === null) return { state: 'absent' };
  let anchor: SignedMark;
  try {
    anchor = SignedMarkSchema.parse(JSON.parse(stored));
  } catch {
    return { state: 'invalid', seq: 0 };
  }
  return markVerifies(anchor, purgeAnchorMessage, daemonPubkeyB58) ? { state: 'valid', anchor } : { state: 'invalid', seq: anchor.seq };
}

/** Signs the cut at `seq` (replacing any older anchor); runs inside the purge's transaction. */
export function writePurgeAnchor(db: Db, keys: KeyPair, now: number, seq: number, chain: string): SignedMark {
  const anchor = signMark(keys, purgeAnchorMessage, seq, chain, now);
  writeState(db, ANCHOR_KEY, JSON.stringify(anchor), now);
  return anchor;
}

/**
 * A home purged by a version without anchors has only the checkpoint at the cut. On the first
 * start without a head, that cut is adopted, and only when it is what a purge leaves: the first
 * row chains from a checkpoint that verifies, and an `audit_purged` row names that cut.
 */
export function adoptLegacyPurgeCut(db: Db, keys: KeyPair, now: number): SignedMark | null {
  const first = db.prepare('SELECT seq, event_hash, chain_hash FROM audit_events ORDER BY seq LIMIT 1').get() as
    | { seq: number; event_hash: string; chain_hash: string }
    | undefined;
  if (!first || first.seq === 1) return null;
  if (readPurgeAnchor(db, keys.publicKeyB58).state !== 'absent') return null;
  const cutSeq = first.seq - 1;
  const checkpoint = db.prepare('SELECT seq, chain_hash, timestamp_ms, signature_b58 FROM audit_checkpoints WHERE seq = ?').get(cutSeq) as
    | SignedMark
    | undefined;
  if (!checkpoint || !markVerifies(checkpoint, checkpointMessage, keys.publicKeyB58)) return null;
  if (chainHash(checkpoint.chain_hash, first.event_hash) !== first.chain_hash) return null;
  const purges = db.prepare("SELECT payload FROM audit_events WHERE kind = 'audit_purged'").all() as Array<{ payload: string }>;
  const recorded = purges.some(({ payload }) => {
    try {
      return (JSON.parse(payload) as { cut_seq?: unknown }).cut_seq === cutSeq;
    } catch {
      return false;
    }
  });
  return recorded ? writePurgeAnchor(db, keys, now, cutSeq, checkpoint.chain_hash) : null;
}
