import { fromBase58 } from '../core/index.js';
import { verifySignature } from '../identity/index.js';
import { statement, type Db } from '../store/index.js';
import { readPurgeAnchor } from './anchor.js';
import type { AuditRow } from './audit-log.js';
import { checkpointMessage, GENESIS_CHAIN_HASH } from './hashing.js';
import { auditHeadPath, readAuditHead } from './head.js';
import { checkHead, rowFailure, type AuditFailure } from './verify.js';

export interface AuditTailReport {
  /** The checkpoint the check starts from (0: the log has none; it starts at genesis). */
  from_seq: number;
  /** Rows checked after it. */
  rows: number;
  failures: AuditFailure[];
}

/**
 * The start-up check (docs/audit.md): the rows written since the newest checkpoint (at most
 * CHECKPOINT_EVERY, so it is quick on any log) chain from that checkpoint, whose signature
 * verifies, up to the signed head. `covenant audit verify` checks the whole log.
 */
export function verifyAuditSinceCheckpoint(db: Db, daemonPubkeyB58: string): AuditTailReport {
  const failures: AuditFailure[] = [];
  const checkpoint = statement(db, 'SELECT seq, chain_hash, timestamp_ms, signature_b58 FROM audit_checkpoints ORDER BY seq DESC LIMIT 1').get() as
    | { seq: number; chain_hash: string; timestamp_ms: number; signature_b58: string }
    | undefined;
  const from = checkpoint ?? { seq: 0, chain_hash: GENESIS_CHAIN_HASH };
  if (checkpoint) {
    const signature = fromBase58(checkpoint.signature_b58);
    if (!signature || !verifySignature(daemonPubkeyB58, checkpointMessage(checkpoint.seq, checkpoint.chain_hash, checkpoint.timestamp_ms), signature)) {
      failures.push({ seq: checkpoint.seq, reason: 'checkpoint signature does not verify against the daemon key' });
    }
    const signed = statement(db, 'SELECT chain_hash FROM audit_events WHERE seq = ?').get(checkpoint.seq) as { chain_hash: string } | undefined;
    if (signed !== undefined && signed.chain_hash !== checkpoint.chain_hash) failures.push({ seq: checkpoint.seq, reason: 'checkpoint chain hash differs from the row it signs' });
  }
  let previous = from.chain_hash;
  let expectedSeq = from.seq + 1;
  let rows = 0;
  const seenChain = new Map<number, string>();
  for (const row of statement(db, 'SELECT * FROM audit_events WHERE seq > ? ORDER BY seq').iterate(from.seq) as IterableIterator<AuditRow>) {
    rows += 1;
    if (row.seq !== expectedSeq) failures.push({ seq: row.seq, reason: `sequence gap: expected seq ${expectedSeq}, found ${row.seq} (rows deleted or reordered)` });
    const reason = rowFailure(row, previous);
    if (reason !== null) failures.push({ seq: row.seq, reason });
    seenChain.set(row.seq, row.chain_hash);
    previous = row.chain_hash;
    expectedSeq = row.seq + 1;
  }
  const anchor = readPurgeAnchor(db, daemonPubkeyB58);
  const lastSeq = rows > 0 || checkpoint ? expectedSeq - 1 : null;
  const headFailure = checkHead(readAuditHead(auditHeadPath(db), daemonPubkeyB58), lastSeq, seenChain, anchor.state === 'valid' ? anchor.anchor : null);
  if (headFailure) failures.push(headFailure);
  return { from_seq: from.seq, rows, failures: failures.sort((a, b) => a.seq - b.seq) };
}
